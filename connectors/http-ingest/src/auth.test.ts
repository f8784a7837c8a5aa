import { describe, expect, it } from 'vitest';
import { ConfigError, ForbiddenError, UnauthorizedError } from '@hub/errors';
import { ApiKeys } from './auth.js';
import { HttpIngestConfigSchema } from './config.js';
import { openApiDocument } from './openapi.js';

const sources = [
  { system: 'police-residence', apiKeyEnv: 'K1', entities: { citizen: {} } },
  { system: 'one-stop', apiKeyEnv: 'K2', entities: { dossier: {} } },
];
const env = { K1: 'a'.repeat(40), K2: 'b'.repeat(40) };

describe('ApiKeys', () => {
  it('opens only the key’s own source: 401 unknown or missing, 403 another department', () => {
    const keys = new ApiKeys(sources, env);
    expect(keys.authorise(env.K1, 'police-residence')).toBe('police-residence');
    expect(() => keys.authorise(undefined, 'police-residence')).toThrow(UnauthorizedError);
    expect(() => keys.authorise('x'.repeat(40), 'police-residence')).toThrow(UnauthorizedError);
    expect(() => keys.authorise(env.K2, 'police-residence')).toThrow(ForbiddenError);
  });

  it('refuses to start with a missing or short key, naming the variable', () => {
    expect(() => new ApiKeys(sources, { K1: 'short' })).toThrow(ConfigError);
    try {
      new ApiKeys(sources, { K1: 'short' });
    } catch (e) {
      expect((e as ConfigError).details.map((d) => d.field)).toEqual(['K1', 'K2']);
    }
  });
});

describe('configuration', () => {
  it('applies defaults and rejects duplicate sources and mismatched mappings', () => {
    const ok = HttpIngestConfigSchema.parse({ id: 'http-ingest', kind: 'http-ingest', sources });
    expect(ok).toMatchObject({ maxBatchRecords: 1000, bodyLimit: '1mb', rateLimitPerMinute: 600 });
    const bad = HttpIngestConfigSchema.safeParse({
      id: 'http-ingest',
      kind: 'http-ingest',
      sources: [
        sources[0],
        {
          ...sources[0],
          entities: { citizen: { mapping: { entity: 'business', recordId: 'id', fields: { name: 'ten' } } } },
        },
      ],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('sources.1.system');
    expect(paths).toContain('sources.1.entities.citizen.mapping.entity');
  });
});

describe('openApiDocument', () => {
  it('describes single and batch endpoints per entity with record schemas from the canonical Avro schemas', () => {
    const doc = openApiDocument(50) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    expect(Object.keys(doc.paths)).toHaveLength(6);
    expect(doc.components.schemas.dossierRecord?.required).toEqual(['recordId', 'dossierCode']);
  });
});
