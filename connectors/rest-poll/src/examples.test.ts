import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFiles } from '@hub/connector-runtime';
import { RestPollConfigSchema } from './config.js';

describe('configurations', () => {
  it('the examples and the department configurations validate', () => {
    const dirs = ['../config/examples', '../../config/departments/rest-poll'].map((d) =>
      fileURLToPath(new URL(d, import.meta.url)),
    );
    const ids = loadConfigFiles(dirs, RestPollConfigSchema).map((l) => l.config.id);
    expect(ids).toContain('one-stop-dossiers');
  });
});
