import type { Admin, ITopicConfig } from 'kafkajs';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { KafkaClient } from './client.js';

/** One topic as declared in infra/topics.yaml. */
export interface TopicDefinition {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs (cleanup.policy, retention.ms, min.insync.replicas, …). */
  readonly config: Readonly<Record<string, string>>;
  readonly description?: string;
}

export type TopicAction =
  | { readonly topic: string; readonly action: 'created' }
  | { readonly topic: string; readonly action: 'unchanged' }
  | {
      readonly topic: string;
      readonly action: 'partitions-increased';
      readonly from: number;
      readonly to: number;
    }
  | { readonly topic: string; readonly action: 'config-updated'; readonly changed: readonly string[] }
  | {
      readonly topic: string;
      readonly action: 'partitions-fewer-than-existing';
      readonly existing: number;
      readonly declared: number;
    };

async function withAdmin<T>(kafka: KafkaClient, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.raw.admin();
  try {
    await admin.connect();
  } catch (cause) {
    throw new DependencyUnavailableError(
      'kafka',
      `cannot reach Kafka at ${kafka.brokers.join(',')}: ${errorMessage(cause)}`,
      { cause },
    );
  }
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Make the cluster match the declarations: create missing topics, add partitions where fewer, and
 * set declared configs that differ. Never deletes a topic and never shrinks one (Kafka cannot; it
 * is reported instead). Idempotent.
 */
export async function ensureTopics(
  kafka: KafkaClient,
  defs: readonly TopicDefinition[],
): Promise<TopicAction[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const actions: TopicAction[] = [];
    const toCreate: ITopicConfig[] = defs
      .filter((d) => !existing.has(d.name))
      .map((d) => ({
        topic: d.name,
        numPartitions: d.partitions,
        replicationFactor: d.replicationFactor,
        configEntries: Object.entries(d.config).map(([name, value]) => ({ name, value })),
      }));
    if (toCreate.length) {
      await admin.createTopics({ topics: toCreate, waitForLeaders: true });
      for (const t of toCreate) actions.push({ topic: t.topic, action: 'created' });
    }
    const present = defs.filter((d) => existing.has(d.name));
    if (present.length === 0) return actions;
    const meta = await admin.fetchTopicMetadata({ topics: present.map((d) => d.name) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((d) => ({
        type: 2 /* TOPIC */,
        name: d.name,
        configNames: Object.keys(d.config),
      })),
    });
    for (const d of present) {
      const count = meta.topics.find((t) => t.name === d.name)?.partitions.length ?? 0;
      let changed = false;
      if (count < d.partitions) {
        await admin.createPartitions({ topicPartitions: [{ topic: d.name, count: d.partitions }] });
        actions.push({ topic: d.name, action: 'partitions-increased', from: count, to: d.partitions });
        changed = true;
      } else if (count > d.partitions) {
        actions.push({
          topic: d.name,
          action: 'partitions-fewer-than-existing',
          existing: count,
          declared: d.partitions,
        });
      }
      const current = configs.resources.find((r) => r.resourceName === d.name)?.configEntries ?? [];
      const differing = Object.entries(d.config).filter(
        ([k, v]) => current.find((c) => c.configName === k)?.configValue !== v,
      );
      if (differing.length) {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: 2,
              name: d.name,
              configEntries: Object.entries(d.config).map(([name, value]) => ({ name, value })),
            },
          ],
        });
        actions.push({ topic: d.name, action: 'config-updated', changed: differing.map(([k]) => k) });
        changed = true;
      }
      if (!changed) actions.push({ topic: d.name, action: 'unchanged' });
    }
    return actions;
  });
}

/** Delete topics (tests only: names must contain "test"). */
export async function deleteTestTopics(kafka: KafkaClient, topics: readonly string[]): Promise<void> {
  const unsafe = topics.filter((t) => !t.includes('test'));
  if (unsafe.length)
    throw new Error(`refusing to delete topics without "test" in their name: ${unsafe.join(', ')}`);
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length) await admin.deleteTopics({ topics: present });
  });
}

/** Committed offset and end offset per partition of a group's topic: the consumer lag. */
export async function groupLag(
  kafka: KafkaClient,
  groupId: string,
  topic: string,
): Promise<{ partition: number; committed: bigint; end: bigint; lag: bigint }[]> {
  return withAdmin(kafka, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.map((e) => {
      const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
      const committedN = BigInt(c) < 0n ? BigInt(e.low) : BigInt(c);
      const end = BigInt(e.high);
      return { partition: e.partition, committed: committedN, end, lag: end - committedN };
    });
  });
}
