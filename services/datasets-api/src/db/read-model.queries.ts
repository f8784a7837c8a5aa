import type { Knex } from 'knex';
import type { Dataset } from '../domain/scopes.js';
import { Batcher } from './group-commit.js';
import { preparedQuery } from './prepared.js';
import { RECORD_SELECT, TABLE, type RecordRow } from './tables.js';

export interface CitizenSearch {
  readonly nameTokens?: readonly string[] | undefined;
  readonly birth?: { year: number; month?: number | undefined; day?: number | undefined } | undefined;
  readonly commune?: string | undefined;
}

export interface BusinessSearch {
  readonly nameTokens?: readonly string[] | undefined;
  readonly status?: string | undefined;
  readonly kind?: string | undefined;
  readonly commune?: string | undefined;
  readonly industry?: string | undefined;
  readonly representative?: string | undefined;
}

export interface DossierSearch {
  readonly applicant?: string | undefined;
  readonly agency?: string | undefined;
  readonly procedure?: string | undefined;
  readonly status?: string | undefined;
  readonly receivedFrom?: Date | undefined;
  readonly receivedTo?: Date | undefined;
}

export interface Page {
  readonly after?: string | undefined;
  readonly limit: number;
}

export interface FeedRow {
  seq: string;
  master_id: string;
  version: string;
  change: string;
  merged_into: string | null;
  occurred_at: Date | null;
  applied_at: Date;
}

export interface DatasetStats {
  readonly live: number;
  readonly newestAppliedAt: Date | null;
  readonly newestOccurredAt: Date | null;
  readonly changesLast24h: number;
}

/** Read side of the read model. Parameterised queries only (knex bindings). */
export class ReadModelQueries {
  /** Concurrent identifier lookups of a dataset share one `alias_key = any(…)` query (one round trip). */
  private readonly aliasLookups: Record<Dataset, Batcher<string, RecordRow[]>>;

  constructor(private readonly db: Knex) {
    // One query in flight per dataset, like the access log's group commit: keys that arrive meanwhile
    // share the next one (at a steady arrival rate more in flight meant more, smaller round trips).
    const batcher = (dataset: Dataset) => new Batcher<string, RecordRow[]>((keys) => this.byAliases(dataset, keys), { maxBatch: 200, maxInFlight: 1 });
    this.aliasLookups = { citizen: batcher('citizen'), business: batcher('business'), dossier: batcher('dossier') };
  }

  async byMasterId(dataset: Dataset, masterId: string): Promise<RecordRow | undefined> {
    return (await this.db(TABLE[dataset]).select(RECORD_SELECT).where({ master_id: masterId }).first()) as RecordRow | undefined;
  }

  /** Live records carrying an identifier (more than one only while a merge is in flight). */
  byAlias(dataset: Dataset, aliasKey: string): Promise<RecordRow[]> {
    return this.aliasLookups[dataset].submit(aliasKey);
  }

  /** Live records per identifier, in the order of `aliasKeys` (at most 10 each, by master id). */
  private async byAliases(dataset: Dataset, aliasKeys: readonly string[]): Promise<RecordRow[][]> {
    const distinct = [...new Set(aliasKeys)];
    const rows = await preparedQuery<RecordRow & { alias_key: string }>(
      this.db,
      `lookup-${TABLE[dataset]}-by-alias`,
      `select a.alias_key, ${RECORD_SELECT.map((c) => `r.${c}`).join(', ')}
         from ${TABLE[dataset]} as r join identifier_aliases as a on a.master_id = r.master_id
        where a.dataset = $1 and r.state = 'LIVE' and a.alias_key = any($2::text[])
        order by a.alias_key, r.master_id`,
      [dataset, distinct],
    );
    const found = new Map<string, RecordRow[]>();
    for (const { alias_key: key, ...row } of rows) {
      const list = found.get(key) ?? [];
      if (list.length < 10) list.push(row);
      found.set(key, list);
    }
    return aliasKeys.map((k) => found.get(k) ?? []);
  }

  private page(dataset: Dataset, page: Page, filter: (q: Knex.QueryBuilder) => void): Promise<RecordRow[]> {
    const q = this.db(TABLE[dataset]).select(RECORD_SELECT).where({ state: 'LIVE' });
    filter(q);
    if (page.after !== undefined) q.where('master_id', '>', page.after);
    return q.orderBy('master_id').limit(page.limit + 1).then((rows: RecordRow[]) => rows);
  }

  searchCitizens(s: CitizenSearch, page: Page): Promise<RecordRow[]> {
    return this.page('citizen', page, (q) => {
      if (s.nameTokens?.length && s.birth) {
        // Name + birth year: the (year, word) expression index (migration 0003), same semantics.
        const year = s.birth.year;
        q.whereRaw('citizen_name_year_keys(name_tokens, birth_year) @> ?::text[]', [s.nameTokens.map((t) => `${year}:${t}`)]);
      } else if (s.nameTokens?.length) q.whereRaw('name_tokens @> ?::text[]', [[...s.nameTokens]]);
      if (s.commune !== undefined) q.whereRaw('commune_codes @> array[?]::text[]', [s.commune]);
      if (s.birth) {
        const { year, month, day } = s.birth;
        q.where({ birth_year: year });
        if (month !== undefined) q.where((w) => void w.whereNull('birth_month').orWhere({ birth_month: month }));
        if (day !== undefined) q.where((w) => void w.whereNull('birth_day').orWhere({ birth_day: day }));
      }
    });
  }

  searchBusinesses(s: BusinessSearch, page: Page): Promise<RecordRow[]> {
    return this.page('business', page, (q) => {
      if (s.nameTokens?.length) q.whereRaw('name_tokens @> ?::text[]', [[...s.nameTokens]]);
      if (s.commune !== undefined) q.whereRaw('commune_codes @> array[?]::text[]', [s.commune]);
      if (s.industry !== undefined) q.whereRaw('industry_codes @> array[?]::text[]', [s.industry]);
      if (s.status !== undefined) q.where({ status: s.status });
      if (s.kind !== undefined) q.where({ kind: s.kind });
      if (s.representative !== undefined) q.where({ representative_master_id: s.representative });
    });
  }

  listDossiers(s: DossierSearch, page: Page): Promise<RecordRow[]> {
    return this.page('dossier', page, (q) => {
      if (s.applicant !== undefined) q.where({ applicant_master_id: s.applicant });
      if (s.agency !== undefined) q.where({ agency_code: s.agency });
      if (s.procedure !== undefined) q.where({ procedure_code: s.procedure });
      if (s.status !== undefined) q.where({ status: s.status });
      if (s.receivedFrom !== undefined) q.where('received_at', '>=', s.receivedFrom);
      if (s.receivedTo !== undefined) q.where('received_at', '<', s.receivedTo);
    });
  }

  async feed(dataset: Dataset, afterSeq: string | undefined, limit: number): Promise<FeedRow[]> {
    const q = this.db('changes').select('seq', 'master_id', 'version', 'change', 'merged_into', 'occurred_at', 'applied_at').where({ dataset });
    if (afterSeq !== undefined) q.where('seq', '>', afterSeq);
    return (await q.orderBy('seq').limit(limit)) as FeedRow[];
  }

  async stats(dataset: Dataset): Promise<DatasetStats> {
    const [count, newest, recent] = await Promise.all([
      this.db(TABLE[dataset]).where({ state: 'LIVE' }).count({ n: '*' }).first() as Promise<{ n: string } | undefined>,
      this.db('changes').where({ dataset }).orderBy('seq', 'desc').select('applied_at', 'occurred_at').first() as Promise<
        { applied_at: Date; occurred_at: Date | null } | undefined
      >,
      this.db('changes').where({ dataset }).where('applied_at', '>', this.db.raw("now() - interval '24 hours'")).count({ n: '*' }).first() as Promise<{ n: string } | undefined>,
    ]);
    return {
      live: Number(count?.n ?? 0),
      newestAppliedAt: newest?.applied_at ?? null,
      newestOccurredAt: newest?.occurred_at ?? null,
      changesLast24h: Number(recent?.n ?? 0),
    };
  }

  /** When the newest change of a dataset was applied (freshness metric). */
  async newestAppliedAt(dataset: Dataset): Promise<Date | null> {
    const row = (await this.db('changes').where({ dataset }).orderBy('seq', 'desc').select('applied_at').first()) as { applied_at: Date } | undefined;
    return row?.applied_at ?? null;
  }

  async ping(): Promise<void> {
    await this.db.raw('select 1');
  }
}
