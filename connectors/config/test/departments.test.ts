import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../departments', import.meta.url));

/** Each connector's own tests validate its folder against its schema; here: the folders themselves. */
describe('department configurations', () => {
  const files = readdirSync(root).flatMap((kind) =>
    readdirSync(join(root, kind)).map((name) => ({
      kind,
      name,
      doc: parse(readFileSync(join(root, kind, name), 'utf8')) as { id: string; kind: string },
    })),
  );

  it('sit in the folder of their kind (CONNECTOR_CONFIG takes one folder per connector process)', () => {
    for (const f of files)
      expect(`${f.kind}/${f.name}: ${f.doc.kind}`).toBe(`${f.kind}/${f.name}: ${f.kind}`);
  });

  it('cover every simulated department, with unique ids', () => {
    const ids = files.map((f) => f.doc.id);
    expect(new Set(ids).size).toBe(ids.length);
    const text = files.map((f) => readFileSync(join(root, f.kind, f.name), 'utf8')).join('\n');
    for (const system of [
      'civil-status',
      'business-registry',
      'one-stop',
      'police-residence',
      'social-protection',
    ])
      expect(text).toContain(`system: ${system}`);
  });

  it('read civil status from MariaDB and the business registry from PostgreSQL', () => {
    const sql = files.filter((f) => f.kind === 'sql-poll') as unknown as Array<{
      name: string;
      doc: { source: { system: string; dialect: string; connectionEnv: string } };
    }>;
    const engines = new Map(
      sql.map((f) => [
        f.name,
        `${f.doc.source.system} ${f.doc.source.dialect} ${f.doc.source.connectionEnv}`,
      ]),
    );
    expect(sql.length).toBeGreaterThan(0);
    for (const [name, line] of engines) {
      if (name.startsWith('civil-status-'))
        expect(`${name}: ${line}`).toBe(`${name}: civil-status mysql CIVIL_STATUS_DB_URL`);
      else expect(`${name}: ${line}`).toBe(`${name}: business-registry postgres BUSINESS_REGISTRY_DB_URL`);
    }
  });
});
