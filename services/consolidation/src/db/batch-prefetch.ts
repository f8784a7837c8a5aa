import type { EntityKind } from '../domain/entity-kind.js';
import type { EntityType, Identifier, Observation } from '../domain/types.js';
import type { BatchLoader } from './batch-loader.js';
import { aliasKey, blockKey, primaryFilter, recordKey, type BatchState, type RecordEntry } from './batch-state.js';

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
  const hitsOf = (o: Observation) =>
    kind.identifiers(o).flatMap((id) => {
      const a = s.aliases.get(aliasKey(type, id.scheme, id.value));
      return a ? [a] : [];
    });
  const unresolved = new Set(fresh.filter((o) => hitsOf(o).length === 0));
  const placed = fresh.filter((o) => !unresolved.has(o));
  // Each is read under the primary numbers the resolver will ask with (candidates of masters holding
  // another number are skipped): a record's own, and for a placed one those its master holds.
  const placedMasters = [...new Set(placed.flatMap((o) => hitsOf(o).map((a) => a.masterId)))];
  if (kind.score) await load.aliasesOfMasters(type, placedMasters);
  const primariesOf = (o: Observation): string[] => {
    const own = kind.primary(o)?.value;
    const held = unresolved.has(o)
      ? []
      : [...new Set(hitsOf(o).map((a) => a.masterId))].flatMap((m) =>
          s.aliasesOf(type, m).filter((a) => a.primary).map((a) => a.value),
        );
    return own ? [own, ...held] : held;
  };
  const filters = new Map(fresh.map((o) => [o, primaryFilter(primariesOf(o))]));
  if (kind.score)
    await load.candidates(
      type,
      fresh.flatMap((o) => kind.blockingKeys(o).map((key) => ({ key, filter: filters.get(o) ?? '' }))),
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
  // lock, as the resolver does); only the best-scoring eligible one per unresolved observation is
  // likely to be joined and recomputed, so only that one is locked and loaded in full.
  const blockOf = (o: Observation): RecordEntry[] => {
    const seen = new Set<string>();
    const out: RecordEntry[] = [];
    for (const b of kind.blockingKeys(o))
      for (const k of s.recordsByBlock.get(blockKey(type, b)) ?? []) {
        const e = s.records.get(k);
        if (!e || e.record.deleted || seen.has(k)) continue;
        seen.add(k);
        out.push(e);
      }
    return out;
  };
  const candidateMasters = new Set<string>();
  for (const o of kind.score ? fresh : []) for (const e of blockOf(o)) candidateMasters.add(e.record.masterId);
  await load.aliasesOfMasters(type, [...candidateMasters]);
  for (const o of kind.score ? unresolved : []) {
    const own = primariesOf(o);
    let best: { masterId: string; score: number } | undefined;
    for (const e of blockOf(o)) {
      const m = e.record.masterId;
      if (own.length > 0 && s.aliasesOf(type, m).some((a) => a.primary && !own.includes(a.value))) continue;
      const score = kind.score?.(o, e.record.observation).score ?? 0;
      if (!best || score > best.score) best = { masterId: m, score };
    }
    if (best) masters.add(best.masterId);
  }
  await load.masters(type, [...masters]);
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
