import type { EntityKind } from '../domain/entity-kind.js';
import type { EntityType, Identifier, Observation } from '../domain/types.js';
import type { BatchLoader } from './batch-loader.js';
import { aliasKey, blockKey, recordKey, type BatchState } from './batch-state.js';

/**
 * Read, with a few set-based statements, what a batch's observations are likely to touch: their
 * source records and identifiers, probabilistic candidates, the masters behind them (locked, with
 * their records, identifiers, pins and links; for candidates only the best match of each
 * observation, the others' identifiers without a lock), masters waiting to link to the batch's
 * identifiers, and the identifiers the recomputed golden records will link to. Returns how many
 * observations restate an existing record (each may remove it from a blocking key's candidates).
 */
export async function prefetchBatch(
  load: BatchLoader,
  s: BatchState,
  kinds: Readonly<Record<EntityType, EntityKind>>,
  type: EntityType,
  observations: readonly Observation[],
  maxCandidates: number,
): Promise<number> {
  const kind = kinds[type];
  await load.records(
    type,
    observations.map((o) => o.source),
  );
  const ids = observations.flatMap((o) => kind.identifiers(o));
  await load.aliases(ids.map((i) => ({ ...i, type })));
  const known = observations.map((o) => s.records.get(recordKey(type, o.source.system, o.source.recordId)));
  const slack = known.filter((r) => r !== undefined).length;
  // Candidates only for new source records: those no identifier resolves go to probabilistic
  // matching, those an identifier places are checked against other masters (bridging); records
  // already stored never are (unless an earlier one of the batch changes that: read then).
  const fresh = observations.filter((_, i) => known[i] === undefined);
  const unresolved = fresh.filter((o) =>
    kind.identifiers(o).every((id) => !s.aliases.get(aliasKey(type, id.scheme, id.value))),
  );
  if (kind.score)
    await load.candidates(
      type,
      fresh.flatMap((o) => kind.blockingKeys(o)),
      maxCandidates + slack,
    );
  if (type !== 'dossier') await load.linksTo(type, ids);
  const masters = new Set<string>();
  for (const r of known) if (r) masters.add(r.record.masterId);
  for (const i of ids) {
    const a = s.aliases.get(aliasKey(type, i.scheme, i.value));
    if (a) masters.add(a.masterId);
  }
  // Candidates: the primary-number check needs every candidate master's identifiers (read without a
  // lock, as the resolver does); only the best-scoring one per observation is likely to be joined
  // and recomputed, so only that one is locked and loaded in full.
  const candidateMasters = new Set<string>();
  const placed = new Set(fresh.filter((o) => !unresolved.includes(o)));
  for (const o of kind.score ? placed : [])
    for (const b of kind.blockingKeys(o))
      for (const k of s.recordsByBlock.get(blockKey(type, b)) ?? []) {
        const e = s.records.get(k);
        if (e && !e.record.deleted) candidateMasters.add(e.record.masterId);
      }
  for (const o of kind.score ? unresolved : []) {
    let best: { masterId: string; score: number } | undefined;
    const seen = new Set<string>();
    for (const b of kind.blockingKeys(o))
      for (const k of s.recordsByBlock.get(blockKey(type, b)) ?? []) {
        const e = s.records.get(k);
        if (!e || e.record.deleted || seen.has(k)) continue;
        seen.add(k);
        candidateMasters.add(e.record.masterId);
        const score = kind.score?.(o, e.record.observation).score ?? 0;
        if (!best || score > best.score) best = { masterId: e.record.masterId, score };
      }
    if (best) masters.add(best.masterId);
  }
  await load.masters(type, [...masters]);
  await load.aliasesOfMasters(type, [...candidateMasters]);
  // Masters waiting for one of these identifiers (their link gets resolved, they get recomputed).
  const linking = new Map<EntityType, string[]>();
  for (const l of s.links.values())
    if (l.targetMasterId === null)
      linking.set(l.fromType, [...(linking.get(l.fromType) ?? []), l.fromMasterId]);
  for (const [t, ms] of linking) await load.masters(t, ms);
  // Identifiers the recomputed golden records will link to.
  const targets: (Identifier & { type: EntityType })[] = [];
  const addTargets = (t: EntityType, o: Observation): void => {
    const k = kinds[t];
    const values = Object.fromEntries(k.attributes.map((a) => [a.name, a.extract(o)]));
    for (const l of k.links(values)) targets.push({ type: l.targetType, ...l.target });
  };
  for (const e of s.records.values()) addTargets(e.type, e.record.observation);
  for (const o of observations) addTargets(type, o);
  await load.aliases(targets);
  return slack;
}
