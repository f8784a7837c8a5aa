#!/usr/bin/env node
import { join } from 'node:path';
import { createKafkaClient, ensureTopics } from '@hub/kafka';
import { down, readEndpoints, status, up } from './launcher.js';
import { LauncherError } from './processes.js';
import { ensureDatabase } from './postgres.js';
import { loadSettings } from './settings.js';
import { loadTopics } from './topics.js';

const say = (m: string) => process.stdout.write(`${m}\n`);

async function applyTopics(brokers: string): Promise<void> {
  const s = loadSettings();
  const rf = Number(process.env.HUB_KAFKA_REPLICATION_FACTOR ?? '1');
  const defs = loadTopics(join(s.repoRoot, 'infra', 'topics.yaml'), { replicationFactor: rf });
  const kafka = createKafkaClient({ brokers: brokers.split(','), clientId: 'hub-infra' });
  const actions = await ensureTopics(kafka, defs);
  const changed = actions.filter((a) => a.action !== 'unchanged');
  say(`  chủ đề / topics: ${defs.length} declared, ${changed.length} changed`);
  for (const a of changed) say(`    ${a.topic}: ${a.action}`);
}

async function main(): Promise<number> {
  const [cmd = 'status'] = process.argv.slice(2);
  const s = loadSettings();
  switch (cmd) {
    case 'up': {
      say('Khởi động hạ tầng / starting infrastructure (PostgreSQL, Kafka, Apicurio Registry)…');
      const r = await up(s, (m) => say(`  ${m}`));
      await applyTopics(r.endpoints.KAFKA_BROKERS);
      say(`✓ postgresql ${r.outcomes.postgres}, kafka ${r.outcomes.kafka}, registry ${r.outcomes.registry}`);
      say(`  KAFKA_BROKERS=${r.endpoints.KAFKA_BROKERS}`);
      say(`  SCHEMA_REGISTRY_URL=${r.endpoints.SCHEMA_REGISTRY_URL}`);
      say(`  logs: ${join(s.runDir, 'logs')}`);
      return 0;
    }
    case 'down':
      say('Dừng hạ tầng / stopping what this checkout started…');
      await down(s, (m) => say(`  ${m}`));
      return 0;
    case 'status': {
      const all = await status(s);
      for (const c of all) {
        const mark = c.up ? '●' : '○';
        const owner = c.startedByThisCheckout ? `started here${c.pid ? ` (pid ${c.pid})` : ''}` : 'external';
        say(`${mark} ${c.name.padEnd(11)} ${c.up ? 'up  ' : 'down'}  ${c.endpoint}  ${c.up ? owner : ''}`);
      }
      return all.every((c) => c.up) ? 0 : 3;
    }
    case 'topics': {
      const ep = readEndpoints(s);
      await applyTopics(process.env.KAFKA_BROKERS ?? ep?.KAFKA_BROKERS ?? `127.0.0.1:${s.kafkaPort}`);
      return 0;
    }
    case 'db': {
      // Create the hub's own databases (idempotent) on the server `up` found or started.
      const names = process.argv.slice(3);
      const ep = readEndpoints(s);
      const admin = process.env.DATABASE_URL ?? ep?.DATABASE_URL ?? s.databaseUrl;
      for (const name of names) await ensureDatabase(admin, name);
      say(`  cơ sở dữ liệu / databases: ${names.join(', ') || '(none given)'}`);
      return 0;
    }
    case 'env': {
      const ep = readEndpoints(s);
      if (!ep) {
        process.stderr.write('infrastructure not started in this checkout: run `npm run infra:up`\n');
        return 3;
      }
      for (const [k, v] of Object.entries(ep)) say(`${k}=${v}`);
      return 0;
    }
    default:
      process.stderr.write(`usage: hub-infra up|down|status|topics|db <name…>|env (got "${cmd}")\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof LauncherError) process.stderr.write(`${e.describe()}\n`);
    else process.stderr.write(`✗ ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
