import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFiles } from '@hub/connector-runtime';
import { FileDropConfigSchema } from './config.js';

describe('configurations', () => {
  it('the examples and the department configurations validate', () => {
    const dirs = ['../config/examples', '../../config/departments/file-drop'].map((d) =>
      fileURLToPath(new URL(d, import.meta.url)),
    );
    const ids = loadConfigFiles(dirs, FileDropConfigSchema).map((l) => l.config.id);
    expect(ids).toEqual(
      expect.arrayContaining(['social-protection-tq', 'social-protection-hg', 'example-household-list']),
    );
  });
});
