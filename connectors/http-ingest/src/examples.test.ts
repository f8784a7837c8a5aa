import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFiles } from '@hub/connector-runtime';
import { HttpIngestConfigSchema } from './config.js';

describe('example configuration', () => {
  it('validates', () => {
    const dir = fileURLToPath(new URL('../config/examples', import.meta.url));
    const loaded = loadConfigFiles([dir], HttpIngestConfigSchema);
    expect(loaded[0]?.config.sources.map((s) => s.system)).toEqual([
      'police-residence',
      'social-protection',
      'one-stop',
    ]);
  });
});
