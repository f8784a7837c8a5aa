/**
 * Bulk fills for the console benchmark: one INSERT … SELECT generate_series per table, rows shaped
 * like what the consumers write (console) and what consolidation writes (citizens, source records,
 * history, review queue). Nothing here goes through Kafka.
 */
import type { Knex } from 'knex';

/** 20 connectors of a province: id, kind, source system. */
export const CONNECTORS: ReadonlyArray<readonly [string, string, string]> = [
  ['civil-status-db', 'sql-poll', 'civil-status'],
  ['population-db', 'sql-poll', 'population'],
  ['health-insurance-api', 'rest-poll', 'health-insurance'],
  ['land-registry-db', 'sql-poll', 'land-registry'],
  ['business-registry-api', 'rest-poll', 'business-registry'],
  ['one-stop-dossier-db', 'sql-poll', 'one-stop'],
  ['tax-api', 'rest-poll', 'tax'],
  ['education-db', 'sql-poll', 'education'],
  ['social-insurance-db', 'sql-poll', 'social-insurance'],
  ['police-residence-api', 'http-ingest', 'residence'],
  ['agriculture-file', 'file-drop', 'agriculture'],
  ['labour-db', 'sql-poll', 'labour'],
  ['justice-api', 'rest-poll', 'justice'],
  ['transport-db', 'sql-poll', 'transport'],
  ['construction-db', 'sql-poll', 'construction'],
  ['natural-resources-file', 'file-drop', 'natural-resources'],
  ['culture-db', 'sql-poll', 'culture'],
  ['finance-api', 'http-ingest', 'finance'],
  ['home-affairs-db', 'sql-poll', 'home-affairs'],
  ['ethnic-affairs-file', 'file-drop', 'ethnic-affairs'],
];

export interface ConsoleFill {
  readonly heartbeatDays: number;
  readonly heartbeatEverySeconds: number;
  readonly deadLetters: number;
  readonly dlqTopicPrefix: string;
  readonly dossiers: number;
}

export interface Counted {
  readonly table: string;
  readonly rows: number;
  readonly seconds: number;
}

async function timed(table: string, run: () => Promise<unknown>, db: Knex): Promise<Counted> {
  const t0 = performance.now();
  await run();
  const [row] = (await db(table).count<{ n: string }[]>({ n: '*' })) as { n: string }[];
  return { table, rows: Number(row?.n ?? 0), seconds: (performance.now() - t0) / 1000 };
}

const ids = CONNECTORS.map((c) => c[0]);
const kinds = CONNECTORS.map((c) => c[1]);
const systems = CONNECTORS.map((c) => c[2]);

/** The console's own tables, as after `days` of a 20-connector province. */
export async function fillConsole(db: Knex, f: ConsoleFill): Promise<Counted[]> {
  const out: Counted[] = [];
  const perConnector = Math.floor((f.heartbeatDays * 86_400) / f.heartbeatEverySeconds);
  const perDay = Math.floor(86_400 / f.heartbeatEverySeconds);
  // Latest state per connector: most RUNNING, one FAILED, one PAUSED, one with a recent error.
  out.push(
    await timed(
      'connectors',
      () =>
        db.raw(
          `insert into connectors (connector_id, connector_kind, source_system, instance_id, state, cursor, records_read, records_published,
                                   records_dead_lettered, records_rejected, source_record_count, newest_source_update_at, last_error, last_error_at,
                                   schema_ids, last_heartbeat_at, event_id)
           select c.id, c.kind, c.sys, c.id || ':' || ?::int, case c.n when 5 then 'FAILED' when 11 then 'PAUSED' else 'RUNNING' end,
                  '{"updatedAt":"' || to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '","id":' || (c.n * 100000) || '}',
                  ?::bigint * 12, ?::bigint * 12 - c.n * 3, c.n * 3, c.n,
                  case when c.n % 4 = 0 then null else 100000 + c.n * 50000 end,
                  now() - (c.n * 7) * interval '1 minute',
                  case when c.n in (5, 9) then 'ECONNREFUSED 10.20.0.' || c.n || ':5432 — nguồn không trả lời / source not answering' end,
                  case when c.n in (5, 9) then now() - interval '3 minutes' end,
                  jsonb_build_array(c.n, c.n + 20), now() - interval '5 seconds', gen_random_uuid()::text
             from unnest(?::text[], ?::text[], ?::text[]) with ordinality as c(id, kind, sys, n)`,
          [f.heartbeatDays, perDay, perDay, ids, kinds, systems],
        ),
      db,
    ),
  );
  // Heartbeats: one per instance every N s; the instance restarts daily (new counters series).
  out.push(
    await timed(
      'heartbeats',
      () =>
        db.raw(
          `insert into heartbeats (event_id, connector_id, instance_id, occurred_at, state, records_read, records_published, records_dead_lettered, records_rejected)
           select gen_random_uuid()::text, c.id, c.id || ':' || (t / ?), now() - ((? - t) * ?::double precision) * interval '1 second',
                  case when t % 997 = 0 then 'STARTING' else 'RUNNING' end,
                  (t % ?) * (10 + c.n), (t % ?) * (10 + c.n) - (t % ?) / 50, (t % ?) / 50, (t % ?) / 400
             from unnest(?::text[]) with ordinality as c(id, n), generate_series(0, ? - 1) as t`,
          [
            perDay,
            perConnector,
            f.heartbeatEverySeconds,
            perDay,
            perDay,
            perDay,
            perDay,
            perDay,
            ids,
            perConnector,
          ],
        ),
      db,
    ),
  );
  // Dead letters: 8 connectors' DLQ topics plus the console's own, varied reasons, ~400-byte originals.
  out.push(
    await timed(
      'dead_letters',
      () =>
        db.raw(
          `insert into dead_letters (dlq_topic, dlq_partition, dlq_offset, connector_id, reason, error, source_topic, source_partition, source_offset,
                                    dead_lettered_at, consumer, replay_of, key, value, headers)
           select ? || c, 0, i, c,
                  (array['MAPPING_FAILED','SCHEMA_INCOMPATIBLE','VALIDATION_FAILED','DESERIALIZATION_FAILED','MISSING_IDENTIFIER',
                         'INVALID_DATE','UNKNOWN_COMMUNE_CODE'])[1 + (i * 7 + i / 13) % 7],
                  'trường ngaySinh không hợp lệ: "' || (i % 31) || '/13/19' || (50 + i % 50) || '" (record ' || i || ')',
                  'obs.citizen', i % 3, i * 4,
                  now() - ((? - i) * 60.0) * interval '1 second',
                  case when i % 5 = 0 then 'consolidation' end, null,
                  convert_to('rec-' || i, 'UTF8'),
                  convert_to('{"soDinhDanh":"0081' || lpad(i::text, 8, '0') || '","hoTen":"Nguyễn Văn ' || i || '","ngaySinh":"'
                             || (i % 31) || '/13/1980","gioiTinh":"Nam","diaChi":{"tinh":"08","huyen":"070","xa":"02290","chiTiet":"Tổ '
                             || (i % 40) || ', phường Phan Thiết, thành phố Tuyên Quang"},"ngayCapNhat":"2026-11-20T08:00:00Z","nguon":"' || c || '"}', 'UTF8'),
                  jsonb_build_object('hub-dlq-reason', 'MAPPING_FAILED', 'hub-dlq-source', 'obs.citizen/0/' || i, 'hub-dlq-connector', c,
                                     'hub-event-id', gen_random_uuid()::text, 'hub-correlation-id', gen_random_uuid()::text)
             from (select i, (array[?, ?, ?, ?, ?, ?, ?, 'steward-console'])[1 + (i * 5 + i / 7) % 8] as c
                     from generate_series(1, ?) as i) x`,
          [
            f.dlqTopicPrefix,
            f.deadLetters,
            ...[0, 1, 2, 5, 9, 10, 12].map((i) => ids[i] ?? ''),
            f.deadLetters,
          ],
        ),
      db,
    ),
  );
  out.push(
    await timed(
      'replays',
      () =>
        db.raw(
          `insert into replays (dead_letter_id, attempt, replayed_by, reason, replayed_at, target_topic, target_partition, target_offset)
           select id, 1, 'lan', 'sửa ánh xạ ngày sinh / fixed the date mapping', dead_lettered_at + interval '2 hours', 'obs.citizen', 0, id * 4
             from dead_letters where id % 7 = 0`,
        ),
      db,
    ),
  );
  // Lag samples: 8 groups, one topic each, every 15 s, same span as the heartbeats.
  out.push(
    await timed(
      'lag_samples',
      () =>
        db.raw(
          `insert into lag_samples (at, group_id, topic, lag)
           select now() - (t * 15.0) * interval '1 second', g.g, g.topic, (t * 37 + g.n * 101) % 800
             from unnest(array['consolidation','datasets-api.citizen','datasets-api.business','datasets-api.dossier','steward-console.connector-status',
                               'steward-console.dossier-quality','steward-console.dead-letters','notifier'],
                         array['obs.citizen','master.citizen','master.business','master.dossier','hub.connector-status','master.dossier','dlq.civil-status-db','master.dossier'])
                  with ordinality as g(g, topic, n),
                  generate_series(0, ? - 1) as t`,
          [Math.floor((f.heartbeatDays * 86_400) / 15)],
        ),
      db,
    ),
  );
  out.push(
    await timed(
      'alerts',
      () =>
        db.raw(
          `insert into alerts (rule, subject, severity, message_vi, message_en, started_at, resolved_at, notified_firing_at, notified_resolved_at)
           select (array['CONNECTOR_DOWN','FRESHNESS_SLO_BREACH','DEAD_LETTER_RATE','LAG_GROWTH'])[1 + i % 4], c.id,
                  case when i % 4 < 2 then 'critical' else 'warning' end,
                  'Kết nối ' || c.id || ' có vấn đề', 'Connector ' || c.id || ' has a problem',
                  now() - (i) * interval '1 hour', now() - (i) * interval '1 hour' + interval '25 minutes',
                  now() - (i) * interval '1 hour', now() - (i) * interval '1 hour' + interval '25 minutes'
             from generate_series(1, 600) as i, lateral (select (?::text[])[1 + i % 20] as id) c`,
          [ids],
        ),
      db,
    ),
  );
  await db.raw(
    `insert into alerts (rule, subject, severity, message_vi, message_en, started_at)
     values ('CONNECTOR_DOWN', ?, 'critical', 'Kết nối không gửi nhịp', 'Connector sends no heartbeat', now() - interval '20 minutes'),
            ('DEAD_LETTER_RATE', ?, 'warning', 'Nhiều bản ghi lỗi', 'Many dead letters', now() - interval '8 minutes')`,
    [ids[5] ?? '', ids[0] ?? ''],
  );
  // Dossiers for the quality indicators: 12 months, 30 agencies, 150 procedures.
  out.push(
    await timed(
      'dossiers',
      () =>
        db.raw(
          `insert into dossiers (master_id, version, dossier_code, procedure_code, receiving_agency_code, channel, status, received_at, due_at,
                                 completed_at, on_time, deleted, updated_at, result_channel)
           select 'D-' || i, 1 + i % 3, agency || '-' || to_char(received, 'YYMMDD') || '-' || lpad((i % 10000)::text, 4, '0'),
                  (1 + i % 150) || '.00' || (1000 + i % 900), agency, case when i % 3 = 0 then 'DIRECT' else 'ONLINE' end,
                  case when done then 'RESULT_RETURNED' else 'PROCESSING' end, received, received + interval '7 days',
                  case when done then received + (2 + i % 8) * interval '1 day' end, case when done then 2 + i % 8 <= 7 end, false, now(),
                  case when done and i % 5 <> 0 then (case when i % 2 = 0 then 'ELECTRONIC' else 'PAPER' end) end
             from (select i, '000.00.' || lpad((1 + i % 30)::text, 2, '0') || '.H60' as agency, now() - (i::bigint * 525600 / ?::bigint) * interval '1 minute' as received,
                          i % 9 <> 0 as done
                     from generate_series(1, ?) as i) x`,
          [f.dossiers, f.dossiers],
        ),
      db,
    ),
  );
  await db.raw('analyze');
  return out;
}

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Ma', 'Nông', 'Hà', 'Lương', 'Bàn', 'Vũ', 'Đặng'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Ngọc', 'Thanh', 'Quang', 'Hữu'];
const GIVEN = [
  'An',
  'Bình',
  'Chiến',
  'Dũng',
  'Hà',
  'Hải',
  'Hoa',
  'Hùng',
  'Hương',
  'Lan',
  'Linh',
  'Long',
  'Mai',
  'Nam',
  'Nga',
  'Phong',
];

/**
 * Consolidation's tables at province scale: `n` active citizens (1 % merged), two thirds seen in two
 * sources, one CREATED history row each (plus recent merges/splits), a review queue. Secondary
 * indexes are dropped during the fill and rebuilt after (same definitions as the migrations).
 */
export async function fillConsolidation(db: Knex, n: number): Promise<Counted[]> {
  const out: Counted[] = [];
  const tables = ['citizens', 'source_records', 'master_history', 'review_tasks'];
  const idx = (
    await db.raw<{ rows: { indexname: string; indexdef: string }[] }>(
      `select i.indexname, i.indexdef from pg_indexes i
      where i.schemaname = 'public' and i.tablename = any(?)
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
      [tables],
    )
  ).rows;
  for (const i of idx) await db.raw('drop index ??', [i.indexname]);
  out.push(
    await timed(
      'citizens',
      () =>
        db.raw(
          `insert into citizens (master_id, status, version, merged_into, golden, lineage_hash, created_at, updated_at)
           select 'C' || lpad(i::text, 9, '0'), case when i % 100 = 0 then 'MERGED' else 'ACTIVE' end, 1 + i % 3,
                  case when i % 100 = 0 then 'C' || lpad((i - 1)::text, 9, '0') end,
                  jsonb_build_object('personalId', '08' || lpad((i % 100)::text, 2, '0') || lpad(i::text, 8, '0'),
                    'fullName', (?::text[])[1 + i % 12] || ' ' || (?::text[])[1 + (i / 12) % 8] || ' ' || (?::text[])[1 + (i / 96) % 16],
                    'dateOfBirth', jsonb_build_object('year', 1940 + i % 80, 'month', 1 + i % 12, 'day', 1 + i % 28, 'precision', 'DAY'),
                    'sex', case when i % 2 = 0 then 'MALE' else 'FEMALE' end, 'ethnicity', (array['Kinh','Tày','Dao','Sán Chay','Mông'])[1 + i % 5],
                    'nationality', 'VN',
                    'permanentAddress', jsonb_build_object('provinceCode', '08', 'communeCode', lpad((2200 + i % 124)::text, 5, '0'),
                                                           'detail', 'Tổ ' || (i % 40) || ', thôn Làng ' || (i % 17)),
                    'currentAddress', jsonb_build_object('provinceCode', '08', 'communeCode', lpad((2200 + (i * 7) % 124)::text, 5, '0')),
                    'deceased', i % 53 = 0),
                  md5(i::text), now() - (i % 525600) * interval '1 minute', now() - (i % 43200) * interval '1 minute'
             from generate_series(1, ?) as i`,
          [FAMILY, MIDDLE, GIVEN, n],
        ),
      db,
    ),
  );
  // population for every citizen, civil-status for two thirds: observations like the connectors publish.
  out.push(
    await timed(
      'source_records',
      () =>
        db.raw(
          `insert into source_records (entity_type, source_system, source_record_id, master_id, event_id, observed_at, deleted, observation, updated_at)
           select 'citizen', s.sys, s.prefix || i, 'C' || lpad(i::text, 9, '0'), gen_random_uuid()::text,
                  1764000000000 - (i % 86400000)::bigint, i % 997 = 0,
                  jsonb_build_object('eventId', gen_random_uuid()::text, 'occurredAt', 1764000000000 - (i % 86400000)::bigint,
                    'source', jsonb_build_object('system', s.sys, 'recordId', s.prefix || i, 'connectorId', s.connector),
                    'personalId', '08' || lpad((i % 100)::text, 2, '0') || lpad(i::text, 8, '0'),
                    'fullName', (?::text[])[1 + i % 12] || ' ' || (?::text[])[1 + (i / 12) % 8] || ' ' || (?::text[])[1 + (i / 96) % 16],
                    'dateOfBirth', jsonb_build_object('year', 1940 + i % 80, 'month', 1 + i % 12, 'day', 1 + i % 28, 'precision', 'DAY'),
                    'sex', case when i % 2 = 0 then 'MALE' else 'FEMALE' end,
                    'currentAddress', jsonb_build_object('provinceCode', '08', 'communeCode', lpad((2200 + i % 124)::text, 5, '0'), 'detail', 'Tổ ' || (i % 40))),
                  now()
             from generate_series(1, ?) as i,
                  lateral (values ('population', 'pop-', 'population-db'), ('civil-status', 'cs-', 'civil-status-db')) as s(sys, prefix, connector)
            where s.sys = 'population' or i % 3 <> 2`,
          [FAMILY, MIDDLE, GIVEN, n],
        ),
      db,
    ),
  );
  // One CREATED row per master with its snapshot; recent merges and splits for /stats.
  out.push(
    await timed(
      'master_history',
      async () => {
        await db.raw(
          `insert into master_history (entity_type, master_id, version, change, snapshot, changed_attributes, event_id, actor, reason, at, recorded_at)
           select 'citizen', master_id, 1, 'CREATED', golden, array['personalId','fullName','dateOfBirth','sex','permanentAddress'],
                  gen_random_uuid()::text, 'consolidation', null, created_at, created_at
             from citizens`,
        );
        await db.raw(
          `insert into master_history (entity_type, master_id, version, change, snapshot, changed_attributes, event_id, actor, reason, at, recorded_at)
           select 'citizen', 'C' || lpad(i::text, 9, '0'), 2, case when i % 500 = 0 then 'SPLIT_OFF' else 'ABSORBED' end, null, '{}',
                  gen_random_uuid()::text, case when i % 300 = 0 then 'lan' else 'consolidation' end, null,
                  now() - ((i / 100) % 7200) * interval '1 second', now() - ((i / 100) % 7200) * interval '1 second'
             from generate_series(100, ?, 100) as i`,
          [n],
        );
      },
      db,
    ),
  );
  out.push(
    await timed(
      'review_tasks',
      () =>
        db.raw(
          `insert into review_tasks (entity_type, kind, status, master_id, other_master_id, attribute, dedupe_key, details, created_at, resolved_at, resolved_by, resolution, reason)
           select 'citizen', k.kind, case when i % 5 = 0 then 'OPEN' else 'RESOLVED' end,
                  'C' || lpad(i::text, 9, '0'), case when k.kind = 'POSSIBLE_MATCH' then 'C' || lpad((i + 1)::text, 9, '0') end,
                  case when k.kind = 'ATTRIBUTE_CONFLICT' then 'dateOfBirth' end,
                  k.kind || ':' || i, jsonb_build_object('totalScore', 14 + i % 8, 'fieldScores', jsonb_build_array(
                    jsonb_build_object('field', 'fullName', 'score', 6, 'weight', 6), jsonb_build_object('field', 'dateOfBirth', 'score', 5, 'weight', 5))),
                  now() - (i % 100000) * interval '1 minute',
                  case when i % 5 <> 0 then now() - (i % 50000) * interval '1 minute' end, case when i % 5 <> 0 then 'lan' end,
                  case when i % 5 <> 0 then 'KEEP_APART' end, case when i % 5 <> 0 then 'khác người / different people' end
             from generate_series(1, ?, 40) as i,
                  lateral (select (array['POSSIBLE_MATCH','ATTRIBUTE_CONFLICT','IDENTIFIER_CONFLICT'])[1 + i % 3] as kind) k`,
          [n],
        ),
      db,
    ),
  );
  const t0 = performance.now();
  for (const i of idx) await db.raw(i.indexdef);
  await db.raw('vacuum analyze');
  out.push({
    table: '(rebuild secondary indexes + vacuum analyze)',
    rows: idx.length,
    seconds: (performance.now() - t0) / 1000,
  });
  return out;
}
