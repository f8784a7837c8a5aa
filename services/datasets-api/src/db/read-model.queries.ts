import type { Knex } from 'knex';
import type { Dataset, ReadIntent } from '../domain/scopes.js';
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

/**
 * An identifier lookup's access-log row: written by the lookup's own statement when it finds exactly
 * one live record that is personal data for this caller (`intent`), so that the read and its log
 * cost one round trip. Fields are logged sorted, as `logRead` does.
 */
export interface LookupLog {
  readonly requestId: string;
  readonly appId: string;
  readonly purpose: string;
  readonly endpoint: string;
  readonly intent: ReadIntent;
}

export interface AliasLookup {
  /** Live records carrying the identifier (more than one only while a merge is in flight; at most 10). */
  readonly rows: RecordRow[];
  /** The access-log row of this read was committed with it. */
  readonly logged: boolean;
}

/** Read side of the read model. Parameterised queries only (knex bindings). */
export class ReadModelQueries {
  /** Concurrent identifier lookups of a dataset share one statement (one round trip), their access-log rows too. */
  private readonly aliasLookups: Record<Dataset, Batcher<{ key: string; log: LookupLog }, AliasLookup>>;

  constructor(private readonly db: Knex) {
    // One statement in flight per dataset, like the access log's group commit: lookups that arrive
    // meanwhile share the next one (at a steady arrival rate more in flight meant more, smaller round trips).
    const batcher = (dataset: Dataset) =>
      new Batcher<{ key: string; log: LookupLog }, AliasLookup>((items) => this.byAliases(dataset, items), { maxBatch: 200, maxInFlight: 1 });
    this.aliasLookups = { citizen: batcher('citizen'), business: batcher('business'), dossier: batcher('dossier') };
  }

  async byMasterId(dataset: Dataset, masterId: string): Promise<RecordRow | undefined> {
    return (await this.db(TABLE[dataset]).select(RECORD_SELECT).where({ master_id: masterId }).first()) as RecordRow | undefined;
  }

  /** Live records carrying an identifier; the read is access-logged with it when `log.intent` makes it personal data. */
  byAlias(dataset: Dataset, aliasKey: string, log: LookupLog): Promise<AliasLookup> {
    return this.aliasLookups[dataset].submit({ key: aliasKey, log });
  }

  /**
   * One statement for a batch of lookups: the records per identifier (at most 10 each, by master id)
   * and, in a data-modifying CTE, an access-log row per lookup that found exactly one record which
   * is personal data for its caller — `isPersonalRead` in SQL: `ALWAYS`, or `HOUSEHOLD` and the
   * record a household business. The route still checks with `project` and logs what this did not.
   */
  private async byAliases(dataset: Dataset, items: readonly { key: string; log: LookupLog }[]): Promise<AliasLookup[]> {
    const requests = items.map(({ key, log }, i) => ({
      i,
      alias_key: key,
      request_id: log.requestId,
      app_id: log.appId,
      purpose: log.purpose,
      endpoint: log.endpoint,
      fields: [...log.intent.fields].sort(),
      personal: log.intent.personal,
    }));
    const personal = `(q.personal = 'ALWAYS' or (q.personal = 'HOUSEHOLD' and f.record->>'kind' = 'HOUSEHOLD_BUSINESS'))`;
    const rows = await preparedQuery<RecordRow & { i: number; logged: boolean }>(
      this.db,
      `lookup-${TABLE[dataset]}-by-alias-logged`,
      `with q as (
         select * from jsonb_to_recordset($2::jsonb)
           as x(i int, alias_key text, request_id text, app_id text, purpose text, endpoint text, fields text[], personal text)
       ), f as (
         select q.i, ${RECORD_SELECT.map((c) => `r.${c}`).join(', ')},
                count(*) over (partition by q.i) as n, row_number() over (partition by q.i order by r.master_id) as k
           from q
           join identifier_aliases as a on a.dataset = $1 and a.alias_key = q.alias_key
           join ${TABLE[dataset]} as r on r.master_id = a.master_id and r.state = 'LIVE'
       ), logged as (
         insert into access_log (request_id, app_id, purpose, dataset, endpoint, record_ids, fields)
         select q.request_id, q.app_id, q.purpose, $1, q.endpoint, array[f.master_id], q.fields
           from f join q on q.i = f.i
          where f.n = 1 and ${personal}
       )
       select f.i, ${RECORD_SELECT.map((c) => `f.${c}`).join(', ')}, (f.n = 1 and ${personal}) as logged
         from f join q on q.i = f.i
        where f.k <= 10
        order by f.i, f.master_id`,
      [dataset, JSON.stringify(requests)],
    );
    const found = items.map((): { rows: RecordRow[]; logged: boolean } => ({ rows: [], logged: false }));
    for (const { i, logged, ...row } of rows) {
      const entry = found[i];
      if (!entry) continue;
      entry.rows.push(row);
      if (logged) entry.logged = true;
    }
    return found;
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
