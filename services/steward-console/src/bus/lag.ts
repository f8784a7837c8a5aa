import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { KafkaClient } from '@hub/kafka';
import type { GroupLag } from '../domain/health.js';

type Admin = ReturnType<KafkaClient['raw']['admin']>;

/**
 * Consumer lag of every consumer group (committed offset vs end offset, per topic and partition),
 * in one admin connection. @hub/kafka exports `groupLag(kafka, group, topic)` but no way to list
 * groups or the topics a group has committed on, so this uses the client handle it exports
 * (`KafkaClient.raw`) without importing kafkajs; see README "Needs from shared packages".
 */
export async function listGroupLags(kafka: KafkaClient, include: (groupId: string) => boolean): Promise<GroupLag[]> {
  const admin: Admin = kafka.raw.admin();
  try {
    await admin.connect();
  } catch (cause) {
    throw new DependencyUnavailableError('kafka', `cannot reach Kafka at ${kafka.brokers.join(',')}: ${errorMessage(cause)}`, { cause });
  }
  try {
    const { groups } = await admin.listGroups();
    const ids = groups.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId).filter(include).sort();
    const ends = new Map<string, Map<number, { high: bigint; low: bigint }>>();
    const endsOf = async (topic: string) => {
      let m = ends.get(topic);
      if (!m) {
        const offsets = await admin.fetchTopicOffsets(topic);
        m = new Map(offsets.map((o) => [o.partition, { high: BigInt(o.high), low: BigInt(o.low) }]));
        ends.set(topic, m);
      }
      return m;
    };
    const out: GroupLag[] = [];
    for (const groupId of ids) {
      const committed = await admin.fetchOffsets({ groupId });
      for (const t of committed) {
        if (!t.partitions.some((p) => BigInt(p.offset) >= 0n)) continue;
        let topicEnds: Map<number, { high: bigint; low: bigint }>;
        try {
          topicEnds = await endsOf(t.topic);
        } catch {
          continue; // the topic was deleted since the group committed on it
        }
        const partitions = [...topicEnds.entries()].sort(([a], [b]) => a - b).map(([partition, e]) => {
          const c = BigInt(t.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
          // No commit yet on a partition: the group would start at the earliest offset still kept.
          const from = c < 0n ? e.low : c;
          return { partition, committed: from.toString(), end: e.high.toString(), lag: Number(e.high - from) };
        });
        out.push({ groupId, topic: t.topic, lag: partitions.reduce((s, p) => s + p.lag, 0), partitions });
      }
    }
    return out;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Names of the topics that exist and start with `prefix`. */
export async function listTopicsWithPrefix(kafka: KafkaClient, prefix: string): Promise<string[]> {
  const admin: Admin = kafka.raw.admin();
  try {
    await admin.connect();
    return (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  } catch (cause) {
    throw new DependencyUnavailableError('kafka', `cannot list topics: ${errorMessage(cause)}`, { cause });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
