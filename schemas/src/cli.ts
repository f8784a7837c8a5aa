#!/usr/bin/env node
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaRegistry } from '@hub/kafka';
import { catalog, SCHEMAS_DIR } from './catalog.js';
import { checkAll, registerAll, type SubjectReport } from './operations.js';
import { generateTypes } from './typescript.js';

const GENERATED = join(SCHEMAS_DIR, 'src', 'generated', 'types.ts');

function registryUrl(): string {
  if (process.env.SCHEMA_REGISTRY_URL) return process.env.SCHEMA_REGISTRY_URL;
  try {
    const ep = JSON.parse(readFileSync(join(SCHEMAS_DIR, '..', '.infra', 'endpoints.json'), 'utf8')) as {
      SCHEMA_REGISTRY_URL?: string;
    };
    if (ep.SCHEMA_REGISTRY_URL) return ep.SCHEMA_REGISTRY_URL;
  } catch {
    /* not started by this checkout */
  }
  return 'http://127.0.0.1:8081/apis/ccompat/v7';
}

function print(reports: readonly SubjectReport[], verb: string): number {
  let bad = 0;
  for (const r of reports) {
    const mark = r.status === 'incompatible' ? '✗' : '✓';
    process.stdout.write(
      `${mark} ${r.subject.padEnd(28)} ${r.status}${r.id !== undefined ? ` (id ${r.id})` : ''}\n`,
    );
    for (const m of r.messages) process.stdout.write(`    ${m}\n`);
    if (r.status === 'incompatible') bad++;
  }
  if (bad)
    process.stderr.write(
      `✗ ${bad} subject(s) not ${verb}: lược đồ không tương thích / incompatible schema change (see above)\n`,
    );
  return bad ? 1 : 0;
}

async function main(): Promise<number> {
  const [cmd] = process.argv.slice(2);
  switch (cmd) {
    case 'register':
      return print(await registerAll(new SchemaRegistry(registryUrl()), catalog()), 'registered');
    case 'check':
      return print(await checkAll(new SchemaRegistry(registryUrl()), catalog()), 'compatible');
    case 'generate':
      writeFileSync(GENERATED, generateTypes(catalog()));
      process.stdout.write(`wrote ${GENERATED}\n`);
      return 0;
    case undefined:
    default:
      process.stderr.write('usage: hub-schemas register|check|generate\n');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`✗ ${(e as Error).message}\n`);
    process.exit(1);
  },
);
