import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient, SchemaRegistry } from '@hub/kafka';
import { eventually } from '@hub/testing';
import {
  aBusiness,
  aCitizen,
  aDossier,
  createTestDatabase,
  createTopics,
  dropTopics,
  get,
  goldenPublisher,
  kafkaClient,
  startApi,
  testConfig,
  type TestTopics,
} from './int-harness.test-support.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let kafka: KafkaClient;
let registry: SchemaRegistry;
let topics: TestTopics;
let api: Awaited<ReturnType<typeof startApi>>;
let pub: Awaited<ReturnType<typeof goldenPublisher>>;
let db: Knex;
const keys: Record<string, string> = {};

const accessRows = async (): Promise<number> => Number(((await db('access_log').count({ n: '*' }).first()) as { n: string }).n);

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  ({ kafka, registry } = kafkaClient('datasets-api-int'));
  topics = await createTopics(kafka);
  pub = await goldenPublisher(kafka, registry, topics);
  api = await startApi(testConfig(database.url, topics, { CONSOLIDATION_URL: 'http://127.0.0.1:9/' }), db, kafka, registry);
  const apps = api.governance;
  const make = async (name: string, scopes: string[], rate = 10_000) =>
    (keys[name] = (await apps.createApp({ name, purpose: `integration test: ${name}`, scopes, rateLimitPerMinute: rate })).apiKey);
  await make('full', ['citizen.identity', 'citizen.address', 'citizen.civil-status', 'business.registration', 'business.address', 'business.representative', 'dossier.processing', 'dossier.applicant']);
  await make('address-only', ['citizen.address']);
  await make('business-public', ['business.registration']);
  await make('dossier-stats', ['dossier.processing']);
  await make('steward', ['steward']);
  await make('slow', ['dossier.processing'], 2);

  await pub.citizen(aCitizen({ masterId: 'c-1' }));
  await pub.citizen(aCitizen({ masterId: 'c-2', personalId: '008090001111', aliases: [], fullName: 'Hầu A Lềnh', sex: 'MALE', dateOfBirth: { year: 1990, precision: 'YEAR' } }));
  await pub.business(aBusiness({ masterId: 'b-1', representativeMasterId: 'c-1' }));
  await pub.dossier(aDossier({ masterId: 'd-1', applicantMasterId: 'c-1' }));
  await eventually(async () => ((await get(`${api.url}/dossiers/d-1`, keys.full)).status === 200 ? true : undefined), { what: 'dossier d-1 in the read model' });
  await eventually(async () => ((await get(`${api.url}/citizens/c-2`, keys.full)).status === 200 ? true : undefined), { what: 'citizen c-2' });
});

afterAll(async () => {
  await pub?.stop();
  await api?.stop();
  if (kafka && topics) await dropTopics(kafka, topics);
  await database?.drop();
});

/** With the access log refusing this request's row (a trigger), the read answers 503 and no personal data. */
async function expectWithheldWhenLogFails(url: string): Promise<void> {
  await db.raw(`
    create function refuse_marked_log_row() returns trigger language plpgsql as $$
    begin raise exception 'simulated access-log failure'; end $$;
    create trigger access_log_refuse_marked before insert on access_log
      for each row when (new.request_id like 'must-fail-%') execute function refuse_marked_log_row();`);
  try {
    const failed = await get(url, keys.full, { 'x-request-id': 'must-fail-1' });
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(JSON.stringify(failed.body)).not.toContain('Nguy');
  } finally {
    await db.raw('drop trigger access_log_refuse_marked on access_log; drop function refuse_marked_log_row()');
  }
}

describe('datasets API over the real broker, registry and database', () => {
  it('serves published golden records by master id, personal number, legacy CMND, enterprise code and dossier code', async () => {
    const byId = await get(`${api.url}/citizens/c-1`, keys.full);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ masterId: 'c-1', version: 1, change: 'CREATED', personalId: '008185000123', fullName: 'Nguyễn Thị Thuỷ', dateOfBirth: { year: 1985 } });
    expect(byId.body.withheldFields).toBeUndefined();
    expect((await get(`${api.url}/citizens/by-identifier/008185000123`, keys.full)).body.masterId).toBe('c-1');
    expect((await get(`${api.url}/citizens/by-identifier/012345678`, keys.full)).body.masterId).toBe('c-1');
    expect((await get(`${api.url}/businesses/by-code/0100233488`, keys.full)).body).toMatchObject({ masterId: 'b-1', registeredOn: '2022-01-08' });
    const dossier = await get(`${api.url}/dossiers/by-code/000.00.01.h60-250715-0001`, keys.full);
    expect(dossier.body).toMatchObject({ masterId: 'd-1', receivedAt: '2025-07-15T09:00:00.000Z', applicantMasterId: 'c-1' });
  });

  it('searches accent-insensitively, by date of birth and commune, and follows links', async () => {
    const byName = await get(`${api.url}/citizens?name=nguyen%20thi%20thuy`, keys.full);
    expect((byName.body.items as { masterId: string }[]).map((c) => c.masterId)).toEqual(['c-1']);
    expect((await get(`${api.url}/citizens?name=HAU%20A%20LENH&dob=1990-05-01`, keys.full)).body.items[0].masterId).toBe('c-2');
    expect((await get(`${api.url}/citizens?commune=02215`, keys.full)).body.items).toHaveLength(2);
    expect((await get(`${api.url}/citizens/c-1/businesses`, keys.full)).body.items[0].masterId).toBe('b-1');
    expect((await get(`${api.url}/citizens/c-1/dossiers`, keys.full)).body.items[0].masterId).toBe('d-1');
    expect((await get(`${api.url}/businesses?name=che%20tan%20trao&status=ACTIVE&industry=0127`, keys.full)).body.items).toHaveLength(1);
    expect((await get(`${api.url}/dossiers?agency=000.00.01.H60&receivedFrom=2025-07-01&receivedTo=2025-08-01`, keys.full)).body.items).toHaveLength(1);
  });

  it('paginates with opaque cursors', async () => {
    const first = await get(`${api.url}/citizens?commune=02215&limit=1`, keys.full);
    expect(first.body.items).toHaveLength(1);
    const second = await get(`${api.url}/citizens?commune=02215&limit=1&cursor=${first.body.nextCursor as string}`, keys.full);
    expect(second.body.items[0].masterId).not.toBe(first.body.items[0].masterId);
    expect(second.body.nextCursor).toBeNull();
  });

  it('answers 401 without or with a bad key, 403 outside scope, and masks fields of a narrow scope', async () => {
    const none = await get(`${api.url}/citizens/c-1`);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(none.body.error.requestId).toBeTruthy();
    expect((await get(`${api.url}/citizens/c-1`, 'dsk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(401);
    expect((await get(`${api.url}/citizens/c-1`, keys['business-public'])).status).toBe(403);
    const masked = await get(`${api.url}/citizens/c-1`, keys['address-only']);
    expect(masked.status).toBe(200);
    expect(masked.body.permanentAddress.communeCode).toBe('02215');
    expect(masked.body.fullName).toBeUndefined();
    expect(masked.body.personalId).toBeUndefined();
    expect(masked.body.withheldFields).toEqual(expect.arrayContaining(['personalId', 'fullName', 'dateOfBirth', 'deceased']));
    // No inference by filtering on a field the app cannot see:
    const byHiddenName = await get(`${api.url}/citizens?name=nguyen`, keys['address-only']);
    expect(byHiddenName.status).toBe(403);
    expect(byHiddenName.body.error.message).toContain('citizen.identity');
    expect((await get(`${api.url}/citizens/by-identifier/008185000123`, keys['address-only'])).status).toBe(403);
    expect((await get(`${api.url}/dossiers?applicant=c-1`, keys['dossier-stats'])).status).toBe(403);
    const stats = await get(`${api.url}/dossiers?status=RECEIVED`, keys['dossier-stats']);
    expect(stats.body.items[0].applicantMasterId).toBeUndefined();
  });

  it('writes an access-log row for every personal-data read and none for other reads; stewards can query it', async () => {
    const before = await accessRows();
    await get(`${api.url}/citizens/c-1`, keys['address-only']);
    expect(await accessRows()).toBe(before + 1);
    await get(`${api.url}/dossiers/d-1`, keys['dossier-stats']); // no personal fields
    await get(`${api.url}/businesses/b-1`, keys['business-public']); // an enterprise, not a household
    await get(`${api.url}/feeds/citizen`, keys.full); // ids and versions only
    await get(`${api.url}/citizens?commune=99999`, keys.full); // nothing returned
    expect(await accessRows()).toBe(before + 1);
    await get(`${api.url}/citizens?commune=02215`, keys.full);
    expect(await accessRows()).toBe(before + 2);
    const row = (await db('access_log').orderBy('id', 'desc').first()) as { app_id: string; purpose: string; record_ids: string[]; fields: string[]; request_id: string };
    expect(row.record_ids.sort()).toEqual(['c-1', 'c-2']);
    expect(row.fields).toContain('fullName');
    expect(row.purpose).toBe('integration test: full');
    await expect(db('access_log').update({ purpose: 'x' })).rejects.toThrow(/append-only/);
    await expect(db('access_log').delete()).rejects.toThrow(/append-only/);
    expect((await get(`${api.url}/access-log`, keys.full)).status).toBe(403);
    const log = await get(`${api.url}/access-log?recordId=c-2`, keys.steward);
    expect(log.status).toBe(200);
    expect(log.body.items[0]).toMatchObject({ appId: row.app_id, recordIds: expect.arrayContaining(['c-2']) as unknown });
  });

  it('identifier lookups write their access-log row in the same statement, only for personal data, once', async () => {
    await pub.business(aBusiness({ masterId: 'b-hh', kind: 'HOUSEHOLD_BUSINESS', enterpriseCode: '0100233495', name: 'Hộ kinh doanh Nguyễn Thị Mai', representativeMasterId: null }));
    await eventually(async () => ((await get(`${api.url}/businesses/b-hh`, keys.full)).status === 200 ? true : undefined), { what: 'business b-hh' });
    const rowsOf = async (requestId: string) =>
      db('access_log').where({ request_id: requestId }).select<{ record_ids: string[]; fields: string[]; endpoint: string; app_id: string }[]>('record_ids', 'fields', 'endpoint', 'app_id');
    const lookups: [string, string, string, number][] = [
      // [path, key, request id, access-log rows expected]
      ['/citizens/by-identifier/008185000123', 'address-only', 'lk-citizen-403', 0], // 403: no identity scope
      ['/citizens/by-identifier/008185000123', 'full', 'lk-citizen', 1],
      ['/citizens/by-identifier/008099999999', 'full', 'lk-citizen-404', 0],
      ['/businesses/by-code/0100233488', 'business-public', 'lk-enterprise', 0], // an enterprise: not personal data
      ['/businesses/by-code/0100233495', 'business-public', 'lk-household', 1], // a household business: personal data
      ['/businesses/by-code/0100233488', 'full', 'lk-enterprise-full', 1], // its representative is
      ['/dossiers/by-code/000.00.01.h60-250715-0001', 'dossier-stats', 'lk-dossier', 0],
      ['/dossiers/by-code/000.00.01.h60-250715-0001', 'full', 'lk-dossier-full', 1], // the applicant link is
    ];
    for (const [path, key, id, expected] of lookups) {
      const r = await get(`${api.url}${path}`, keys[key], { 'x-request-id': id });
      expect([path, key, r.status === 200 || r.status === 403 || r.status === 404]).toEqual([path, key, true]);
      expect([id, (await rowsOf(id)).length]).toEqual([id, expected]);
    }
    expect(await rowsOf('lk-household')).toEqual([
      { record_ids: ['b-hh'], fields: ['enterpriseCode', 'industryCodes', 'legalForm', 'name', 'parentMasterId', 'registeredOn', 'sources', 'status'], endpoint: 'GET /businesses/by-code/:enterpriseCode', app_id: expect.any(String) as unknown },
    ]);
    const [citizenRow] = await rowsOf('lk-citizen');
    expect(citizenRow).toMatchObject({ record_ids: ['c-1'], endpoint: 'GET /citizens/by-identifier/:identifier' });
    expect(citizenRow!.fields).toEqual([...citizenRow!.fields].sort());
    expect(citizenRow!.fields).toEqual(expect.arrayContaining(['personalId', 'fullName', 'permanentAddress', 'deceased']));

    // The lookup and its log are one statement: a log that cannot be written withholds the data.
    await expectWithheldWhenLogFails(`${api.url}/citizens/by-identifier/008185000123`);
  });

  it('group commit: concurrent reads are each logged under their own request id; a failed log write withholds the data (503)', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `concurrent-${i}`);
    const responses = await Promise.all(ids.map((id) => get(`${api.url}/citizens/by-identifier/008185000123`, keys.full, { 'x-request-id': id })));
    expect(responses.map((r) => r.status)).toEqual(ids.map(() => 200));
    const rows: { request_id: string; record_ids: string[] }[] = await db('access_log').whereIn('request_id', ids).select('request_id', 'record_ids');
    expect(rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.record_ids.join() === 'c-1')).toBe(true);

    await expectWithheldWhenLogFails(`${api.url}/citizens/c-1`);
    expect((await get(`${api.url}/citizens/c-1`, keys.full)).status).toBe(200);
  });

  it('ignores duplicate and stale versions, and applies newer ones', async () => {
    await pub.citizen(aCitizen({ masterId: 'c-1', version: 3, fullName: 'Nguyễn Thị Thủy Tiên' }));
    await pub.citizen(aCitizen({ masterId: 'c-1', version: 3, fullName: 'duplicate must not win' }));
    await pub.citizen(aCitizen({ masterId: 'c-1', version: 2, fullName: 'stale must not win' }));
    await pub.citizen(aCitizen({ masterId: 'c-1', version: 4, fullName: 'Nguyễn Thị Thủy Tiên', change: 'UPDATED' }));
    await eventually(async () => ((await get(`${api.url}/citizens/c-1`, keys.full)).body.version === 4 ? true : undefined), { what: 'version 4' });
    const versions = (await db('changes').where({ dataset: 'citizen', master_id: 'c-1' }).orderBy('seq')).map((r: { version: string }) => Number(r.version));
    expect(versions).toEqual([1, 3, 4]);
  });

  it('answers 301 for an id merged away and 410 for a deleted record, with feed entries', async () => {
    await pub.citizen(aCitizen({ masterId: 'c-9', personalId: '008290004444', aliases: [] }));
    await pub.citizen(aCitizen({ masterId: 'c-2', version: 2, change: 'MERGED', mergedFrom: ['c-9'], fullName: 'Hầu A Lềnh' }));
    await pub.tombstone(topics.citizen, 'c-9', 1);
    await pub.dossier(aDossier({ masterId: 'd-2', dossierCode: '000.00.01.H60-250716-0002' }));
    await pub.tombstone(topics.dossier, 'd-2', 1);
    await eventually(async () => ((await get(`${api.url}/dossiers/d-2`, keys.full)).status === 410 ? true : undefined), { what: 'd-2 gone' });
    const merged = await eventually(async () => {
      const r = await get(`${api.url}/citizens/c-9`, keys.full);
      return r.status === 301 ? r : undefined;
    });
    expect(merged.headers.get('location')).toBe('/citizens/c-2');
    expect(merged.body).toMatchObject({ mergedInto: 'c-2' });
    expect((await get(`${api.url}/dossiers/by-code/000.00.01.H60-250716-0002`, keys.full)).status).toBe(404);
    const feed = await get(`${api.url}/feeds/dossier`, keys['dossier-stats']);
    expect((feed.body.items as unknown[]).at(-1)).toMatchObject({ masterId: 'd-2', change: 'DELETED', version: 1 });
    const citizenFeed = await get(`${api.url}/feeds/citizen`, keys.full);
    expect((citizenFeed.body.items as { masterId: string }[]).filter((i) => i.masterId === 'c-9').at(-1)).toMatchObject({ change: 'DELETED', mergedInto: 'c-2' });
    expect(await db('consumer_offsets').count({ n: '*' }).first()).toBeTruthy();
  });

  it('refuses malformed parameters, SQL-looking strings and huge pages with clear 400s', async () => {
    const cases = [
      `/citizens?name=${encodeURIComponent("' OR 1=1 --")}`,
      `/citizens?name=${encodeURIComponent('Robert"); DROP TABLE citizens;--')}`,
      '/citizens?dob=1985-02-30',
      '/citizens?commune=abc',
      '/citizens?commune=02215&limit=100000',
      '/citizens?commune=02215&limit=-1',
      '/citizens?commune=02215&cursor=not-a-cursor!',
      '/citizens?commune=02215&unknown=1',
      '/citizens?commune=02215&commune=02216',
      '/citizens',
      '/citizens/by-identifier/12345',
      `/citizens/${encodeURIComponent("c-1' or '1'='1")}`,
      '/businesses?status=OPEN',
      '/dossiers?receivedFrom=yesterday',
      '/feeds/citizen?cursor=eyJrIjoiYWZ0ZXIiLCJ2IjoiYyJ9',
    ];
    for (const path of cases) {
      const r = await get(`${api.url}${path}`, keys.full);
      expect({ path, status: r.status }).toEqual({ path, status: 400 });
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts|stack/i);
    }
    expect((await get(`${api.url}/feeds/people`, keys.full)).status).toBe(400);
    expect((await get(`${api.url}/no/such/thing`, keys.full)).status).toBe(404);
    expect(await db('citizens').count({ n: '*' }).first()).toMatchObject({ n: expect.any(String) as unknown });
  });

  it('limits each application to its rate', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`${api.url}/dossiers/d-1`, keys.slow)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('proxies lineage to the consolidation for stewards only, 503 when it is unreachable', async () => {
    expect((await get(`${api.url}/citizens/c-1/lineage`, keys.full)).status).toBe(403);
    const r = await get(`${api.url}/citizens/c-1/history`, keys.steward);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  it('publishes the catalogue, the OpenAPI document, the reference page, health and metrics with security headers', async () => {
    const cat = await get(`${api.url}/catalogue`);
    expect(cat.status).toBe(200);
    type Field = { name: string; authoritativeSource: { department: string } };
    const citizen = (cat.body.datasets as { dataset: string; liveRecords: number; freshnessSeconds: number; schemaVersions: unknown[]; fields: Field[] }[]).find((d) => d.dataset === 'citizen')!;
    expect(citizen.liveRecords).toBeGreaterThanOrEqual(2);
    expect(citizen.freshnessSeconds).toBeGreaterThanOrEqual(0);
    expect(citizen.schemaVersions.length).toBeGreaterThanOrEqual(1);
    expect(citizen.fields.find((f) => f.name === 'aliases')).toMatchObject({ scope: 'citizen.identity', definition: expect.stringContaining('CMND') as unknown });
    expect(citizen.fields.find((f) => f.name === 'deceased')!.authoritativeSource.department).toContain('Tư pháp');
    expect((await get(`${api.url}/catalogue`, undefined, { accept: 'text/html' })).body).toContain('<table>');
    const spec = await get(`${api.url}/openapi.json`);
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths as object)).toContain('/feeds/{dataset}');
    const docs = await get(`${api.url}/docs`);
    expect(docs.body).toContain('/docs/assets/swagger-ui-bundle.js');
    expect((await fetch(`${api.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(docs.headers.get('x-powered-by')).toBeNull();
    expect((await get(`${api.url}/healthz`)).status).toBe(200);
    expect((await get(`${api.url}/readyz`)).body.ok).toBe(true);
    const metrics = await get(`${api.url}/metrics`);
    expect(metrics.body).toContain('hub_datasets_api_read_model_messages_total');
    expect(metrics.body).toContain('hub_datasets_api_newest_change_age_seconds{dataset="citizen"}');
  });
});
