import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFiles } from '@hub/connector-runtime';
import { ConfigError } from '@hub/errors';
import { SqlPollConfigSchema } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'sql-poll-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, joins: string, fields: string): string => {
  const p = join(dir, name);
  writeFileSync(
    p,
    `id: ${name.replace('.yaml', '')}
kind: sql-poll
source:
  system: civil-status
  dialect: mysql
  connectionEnv: CIVIL_STATUS_DB_URL
  table: ket_hon
  primaryKey: id
  updatedAtColumn: updated_at
  joins:
${joins}
mapping:
  entity: citizen
  recordId: [id, id_chong]
  updatedAt: updated_at
  fields:
    fullName: ho_ten_chong
${fields}
`,
  );
  return p;
};

function problems(path: string): string[] {
  try {
    loadConfigFiles([path], SqlPollConfigSchema);
  } catch (e) {
    if (e instanceof ConfigError) return (e.details ?? []).map((d) => `${d.field}: ${d.problem}`);
    throw e;
  }
  return [];
}

const goodJoin = `    - { as: chong, table: cong_dan, column: id_chong, references: id, columns: [so_giay_to, ngay_sinh] }`;

describe('source.joins in a configuration file', () => {
  it('a join and a mapping reading its columns validate', () => {
    const p = file('good-join.yaml', goodJoin, '    dateOfBirth: chong.ngay_sinh');
    const [loaded] = loadConfigFiles([p], SqlPollConfigSchema);
    expect(loaded?.config.source.joins[0]).toMatchObject({
      as: 'chong',
      table: 'cong_dan',
      references: 'id',
    });
  });

  it('a malformed join is reported with the file and the field', () => {
    const p = file(
      'bad-join.yaml',
      `    - { as: Chong, table: cong_dan, column: id_chong, columns: [], on: id }`,
      '    dateOfBirth: chong.ngay_sinh',
    );
    const list = problems(p);
    expect(list.some((l) => l.startsWith('bad-join.yaml: source.joins[0].as: a short lower-case name'))).toBe(
      true,
    );
    expect(list.some((l) => l.startsWith('bad-join.yaml: source.joins[0].references:'))).toBe(true);
    expect(list.some((l) => l.startsWith('bad-join.yaml: source.joins[0].columns:'))).toBe(true);
    expect(list.some((l) => l.startsWith('bad-join.yaml: source.joins[0]:') && l.includes('"on"'))).toBe(
      true,
    );
  });

  it('a mapping reading a column the join does not read, or a cursor field from a joined row, is refused', () => {
    const p = file(
      'bad-mapping.yaml',
      goodJoin,
      `    dateOfBirth: chong.nam_sinh
    permanentAddress: { template: '{chong.dia_chi}' }`,
    );
    expect(problems(p)).toEqual([
      expect.stringMatching(
        /^bad-mapping\.yaml: mapping\.fields\.dateOfBirth\.from: "chong\.nam_sinh": nam_sinh is not a column join "chong" reads/,
      ),
      expect.stringMatching(
        /^bad-mapping\.yaml: mapping\.fields\.permanentAddress\.template: "chong\.dia_chi"/,
      ),
    ]);
    const q = file('bad-cursor.yaml', goodJoin, '    dateOfBirth: chong.ngay_sinh');
    writeFileSync(q, readFileSync(q, 'utf8').replace('updatedAt: updated_at', 'updatedAt: chong.ngay_sinh'));
    expect(problems(q)).toEqual([
      expect.stringMatching(
        /^bad-cursor\.yaml: mapping\.updatedAt: "chong\.ngay_sinh" is a column of a joined row/,
      ),
    ]);
  });
});
