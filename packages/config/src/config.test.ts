import { ConfigError } from '@hub/errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commaList, loadConfig } from './config.js';

const Schema = z.object({
  HTTP_PORT: z.coerce.number().int().default(8080),
  DATABASE_URL: z.string().url(),
  KAFKA_BROKERS: z.string().transform(commaList),
});

describe('loadConfig', () => {
  it('parses and freezes valid config', () => {
    const c = loadConfig(Schema, { DATABASE_URL: 'postgres://x@h/db', KAFKA_BROKERS: 'a:1, b:2' });
    expect(c).toEqual({ HTTP_PORT: 8080, DATABASE_URL: 'postgres://x@h/db', KAFKA_BROKERS: ['a:1', 'b:2'] });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every bad key at once', () => {
    let caught: unknown;
    try {
      loadConfig(Schema, { HTTP_PORT: 'eighty', DATABASE_URL: 'not a url' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.details.map((d) => d.field).sort()).toEqual(['DATABASE_URL', 'HTTP_PORT', 'KAFKA_BROKERS']);
    expect(err.message).toContain('HTTP_PORT');
  });
});
