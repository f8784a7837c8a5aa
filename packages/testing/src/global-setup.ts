import type {} from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

import type { Endpoints } from './helpers.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/**
 * vitest globalSetup for `*.int.test.ts`: start the real PostgreSQL, Kafka and registry once per
 * run through the launcher (reusing them when already up) and hand their endpoints to the tests
 * through `inject('endpoints')`. It leaves them running: `npm test` stops what it started.
 *
 * The launcher runs as a process (not imported) so that this harness depends on no hub package
 * and any package, the bus included, can use it without a dependency cycle.
 */
export default function setup(project: TestProject): void {
  const cli = join(repoRoot, 'infra', 'local', 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  execFileSync(process.execPath, [cli, 'up'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  const runDir = process.env.HUB_INFRA_DIR ?? join(repoRoot, '.infra');
  const fromLauncher = JSON.parse(readFileSync(join(runDir, 'endpoints.json'), 'utf8')) as Endpoints;
  project.provide('endpoints', {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? fromLauncher.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? fromLauncher.SCHEMA_REGISTRY_URL,
    DATABASE_URL: process.env.DATABASE_URL ?? fromLauncher.DATABASE_URL,
  });
}
