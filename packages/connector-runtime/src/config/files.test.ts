import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '@hub/errors';
import { loadConfigFiles } from './files.js';
import { connectorConfigSchema } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'connector-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Schema = connectorConfigSchema('sql-poll', { table: z.string() });

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const good = `
id: civil-status-citizens
kind: sql-poll
source: { system: civil-status, table: citizens }
mapping:
  entity: citizen
  recordId: id
  fields:
    fullName: ho_ten
    dateOfBirth: { from: ngay_sinh, normalise: date }
`;

describe('loadConfigFiles', () => {
  it('loads YAML and JSON, applying defaults', () => {
    const y = write('a.yaml', good);
    const j = write(
      'b.json',
      JSON.stringify({
        id: 'x-json',
        kind: 'sql-poll',
        source: { system: 'x', table: 't' },
        mapping: { entity: 'business', recordId: 'id', fields: { name: 'ten' } },
      }),
    );
    const loaded = loadConfigFiles([y, j], Schema);
    expect(loaded.map((l) => l.config.id)).toEqual(['civil-status-citizens', 'x-json']);
    expect(loaded[0]?.config.batchSize).toBe(500);
    expect(loaded[0]?.config.mapping.fields.fullName).toEqual({ from: 'ho_ten', required: false });
  });

  it('names the file and the field path of every problem, in every file at once', () => {
    const bad1 = write(
      'bad1.yaml',
      good
        .replace('normalise: date', 'normalise: datum')
        .replace('fullName: ho_ten', 'fullNam: ho_ten')
        .replace('table: citizens', 'tabel: citizens'),
    );
    const bad2 = write('bad2.yaml', 'id: Bad Id\nkind: sql-poll\n');
    const err = errorOf(() => loadConfigFiles([bad1, bad2], Schema));
    const fields = err.details.map((d) => d.field);
    expect(fields).toContain('bad1.yaml: mapping.fields.dateOfBirth.normalise');
    expect(fields).toContain('bad1.yaml: mapping.fields.fullNam');
    expect(fields).toContain('bad1.yaml: source');
    expect(fields).toContain('bad2.yaml: id');
    expect(fields).toContain('bad2.yaml: mapping');
    expect(err.details.find((d) => d.field === 'bad1.yaml: mapping.fields.fullNam')?.problem).toContain(
      'fullName',
    );
    expect(err.message).toContain('bad1.yaml');
  });

  it('reports YAML syntax errors with the line, a dossier mapping without its code, enum maps to unknown symbols and duplicate ids', () => {
    const syntax = write('syntax.yaml', 'id: a\n  kind: [sql-poll\n');
    const dossier = write(
      'dossier.yaml',
      good
        .replace('entity: citizen', 'entity: dossier')
        .replace(/fields:[\s\S]*/, 'fields:\n    status: { from: tt, map: { xong: DONE } }\n'),
    );
    const dup = write('dup.yaml', good);
    const again = write('again.yaml', good);
    const err = errorOf(() => loadConfigFiles([syntax, dossier, dup, again], Schema));
    const text = err.details.map((d) => `${d.field} => ${d.problem}`).join('\n');
    expect(text).toMatch(/syntax\.yaml line \d+ => YAML syntax/);
    expect(text).toContain('dossier.yaml: mapping.fields => dossier observations need "dossierCode"');
    expect(text).toContain('dossier.yaml: mapping.fields.status.map.xong');
    expect(text).toContain('connector id "civil-status-citizens" is already used');
  });

  it('rejects a field rule with two sources and a missing folder', () => {
    const two = write('two.yaml', good.replace('fullName: ho_ten', 'fullName: { from: ho_ten, const: x }'));
    expect(errorOf(() => loadConfigFiles([two], Schema)).details[0]?.problem).toContain('exactly one of');
    expect(errorOf(() => loadConfigFiles([join(dir, 'missing.yaml')], Schema)).details[0]?.problem).toContain(
      'cannot read',
    );
  });
});
