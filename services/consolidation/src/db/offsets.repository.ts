import type { Knex } from 'knex';

/** Kafka positions kept in PostgreSQL, written in the same transaction as their effects. */
export async function storedOffsets(
  db: Knex,
  groupId: string,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, string>> {
  const rows = (await db('consumer_offsets')
    .select('partition', 'next_offset')
    .where({ group_id: groupId, topic })
    .whereIn('partition', partitions)) as { partition: number; next_offset: string | number }[];
  return new Map(
    rows.filter((r) => BigInt(r.next_offset) >= 0n).map((r) => [r.partition, String(r.next_offset)]),
  );
}

/**
 * Lock this partition's offset row for the transaction and return the stored next offset (null when
 * the partition was never consumed). Two instances that both believe they own the partition (a stale
 * assignment during a rebalance) serialize here, and the second sees what the first committed.
 */
export async function lockOffset(
  trx: Knex.Transaction,
  groupId: string,
  topic: string,
  partition: number,
): Promise<bigint | null> {
  await trx('consumer_offsets')
    .insert({ group_id: groupId, topic, partition, next_offset: -1 })
    .onConflict(['group_id', 'topic', 'partition'])
    .ignore();
  const row = (await trx('consumer_offsets')
    .select('next_offset')
    .where({ group_id: groupId, topic, partition })
    .forUpdate()
    .first()) as { next_offset: string | number } | undefined;
  const value = row === undefined ? -1n : BigInt(row.next_offset);
  return value < 0n ? null : value;
}

export async function saveOffset(
  trx: Knex.Transaction,
  groupId: string,
  topic: string,
  partition: number,
  nextOffset: string,
): Promise<void> {
  await trx('consumer_offsets')
    .where({ group_id: groupId, topic, partition })
    .update({ next_offset: nextOffset, updated_at: trx.fn.now() });
}
