import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFiles } from '@hub/connector-runtime';
import { SqlPollConfigSchema } from './config.js';

describe('example configurations', () => {
  it('validate', () => {
    const dir = fileURLToPath(new URL('../config/examples', import.meta.url));
    const loaded = loadConfigFiles([dir], SqlPollConfigSchema);
    expect(loaded.map((l) => l.config.id).sort()).toEqual([
      'business-registry-enterprises',
      'civil-status-citizens',
    ]);
  });

  it('the department configurations validate', () => {
    const dir = fileURLToPath(new URL('../../config/departments/sql-poll', import.meta.url));
    const ids = loadConfigFiles([dir], SqlPollConfigSchema).map((l) => l.config.id);
    expect(ids).toHaveLength(8);
    expect(ids).toContain('civil-status-ket-hon-vo');
  });
});
