#!/usr/bin/env node
// infra/topics.yaml → Strimzi KafkaTopic resources (infra/deploy/k8s/kafka-topics.yaml).
//   node infra/deploy/scripts/topics-to-strimzi.mjs            write the file
//   node infra/deploy/scripts/topics-to-strimzi.mjs --check    exit 1 when the committed file is stale
//   node infra/deploy/scripts/topics-to-strimzi.mjs --stdout   print instead of writing
// Same rules as infra/local (topics.ts): default partitions from `defaults`, min.insync.replicas =
// max(1, min(2, RF - 1)) unless the topic sets it. Production: RF 3, min ISR 2.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SOURCE = join(ROOT, 'infra', 'topics.yaml');
export const TARGET = join(ROOT, 'infra', 'deploy', 'k8s', 'kafka-topics.yaml');
export const CLUSTER = 'hub';
export const REPLICATION_FACTOR = 3;

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** @param {string} text the content of infra/topics.yaml */
export function render(text, replicationFactor = REPLICATION_FACTOR) {
  const doc = parse(text);
  if (!doc || !Array.isArray(doc.topics) || doc.topics.length === 0) {
    throw new Error('infra/topics.yaml: `topics` must be a non-empty list');
  }
  const defaultPartitions = doc.defaults?.partitions ?? 6;
  const minIsr = String(Math.max(1, Math.min(2, replicationFactor - 1)));
  const resources = doc.topics.map((t) => {
    if (typeof t.name !== 'string' || t.name === '')
      throw new Error('infra/topics.yaml: a topic has no name');
    const config = { 'min.insync.replicas': minIsr };
    for (const [k, v] of Object.entries(t.config ?? {})) config[k] = String(v);
    // Kubernetes names allow lower-case letters, digits, "-" and "."; others keep the topic name in spec.
    const k8sName = t.name.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
    if (!DNS_NAME.test(k8sName)) throw new Error(`topic ${t.name}: no valid Kubernetes name`);
    return {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: {
        name: k8sName,
        labels: { 'strimzi.io/cluster': CLUSTER, 'app.kubernetes.io/part-of': 'tq-hub' },
        ...(t.description ? { annotations: { 'hub.tuyenquang.gov.vn/description': t.description } } : {}),
      },
      spec: {
        ...(k8sName !== t.name ? { topicName: t.name } : {}),
        partitions: t.partitions ?? defaultPartitions,
        replicas: replicationFactor,
        config,
      },
    };
  });
  const header =
    '# GENERATED from infra/topics.yaml by infra/deploy/scripts/topics-to-strimzi.mjs: do not edit.\n' +
    '# Regenerate after changing infra/topics.yaml; the @hub/deploy test fails while this file is stale.\n';
  return header + resources.map((r) => `---\n${stringify(r, { lineWidth: 0 })}`).join('');
}

function main(argv) {
  const out = render(readFileSync(SOURCE, 'utf8'));
  if (argv.includes('--stdout')) {
    process.stdout.write(out);
    return 0;
  }
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(TARGET, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (current === out) return 0;
    process.stderr.write(`${TARGET} is stale: run node infra/deploy/scripts/topics-to-strimzi.mjs\n`);
    return 1;
  }
  writeFileSync(TARGET, out);
  process.stdout.write(`wrote ${TARGET}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
