import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hub/errors';
import { loadConfig } from './config.js';
import { lockId } from './db/tables.js';

const base = {
  DATABASE_URL: 'postgres://app@localhost/hub',
  KAFKA_BROKERS: 'a:9092,b:9092',
  SCHEMA_REGISTRY_URL: 'http://localhost:8081/apis/ccompat/v7',
  SURVIVORSHIP_AUTHORITIES: '{"identity":["population"]}',
};

describe('config', () => {
  it('parses brokers, authorities and thresholds', () => {
    const c = loadConfig(base);
    expect(c.KAFKA_BROKERS).toEqual(['a:9092', 'b:9092']);
    expect(c.SURVIVORSHIP_AUTHORITIES).toEqual({ identity: ['population'] });
    expect(c.MATCH_CITIZEN_UPPER).toBeGreaterThan(c.MATCH_CITIZEN_LOWER);
  });

  it('rejects a review band upside down and bad authority JSON, naming the keys', () => {
    expect(() => loadConfig({ ...base, MATCH_CITIZEN_LOWER: '30' })).toThrow(/MATCH_CITIZEN_LOWER/);
    expect(() => loadConfig({ ...base, SURVIVORSHIP_AUTHORITIES: 'police' })).toThrow(ConfigError);
  });

  it('consolidates two partitions at a time by default, and wants a pool that can hold them', () => {
    expect(loadConfig(base).CONSUMER_PARTITIONS_CONCURRENTLY).toBe(2);
    expect(
      loadConfig({ ...base, CONSUMER_PARTITIONS_CONCURRENTLY: '1' }).CONSUMER_PARTITIONS_CONCURRENTLY,
    ).toBe(1);
    expect(() => loadConfig({ ...base, CONSUMER_PARTITIONS_CONCURRENTLY: '0' })).toThrow(
      /CONSUMER_PARTITIONS_CONCURRENTLY/,
    );
    expect(() =>
      loadConfig({ ...base, CONSUMER_PARTITIONS_CONCURRENTLY: '4', DATABASE_POOL_MAX: '5' }),
    ).toThrow(/DATABASE_POOL_MAX must be at least CONSUMER_PARTITIONS_CONCURRENTLY \+ 2/);
  });
});

describe('advisory lock ids', () => {
  it('are stable signed 64-bit values that differ per key', () => {
    expect(lockId('id:citizen:PID:008085000123')).toBe(lockId('id:citizen:PID:008085000123'));
    expect(lockId('a')).not.toBe(lockId('b'));
    const v = lockId('x');
    expect(v >= -(2n ** 63n) && v < 2n ** 63n).toBe(true);
  });
});
