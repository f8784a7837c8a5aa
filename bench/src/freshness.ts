/**
 * End-to-end freshness (issue 10): the pieces of the `freshness` path of side-by-side.bench.ts that
 * are not process plumbing — the pushed records, the change-feed reader, the master id → record
 * resolution and the percentiles. The load driver (freshness-driver.ts) runs as its own process.
 *
 * Personal numbers are generated valid (digits 1–3 province 008, digit 4 century + sex from @hub/vn,
 * 5–6 birth year, 7–12 a serial unique in the run) and are never printed: only counts leave here.
 */
import { centurySexDigitFor, parsePersonalId, type Sex } from '@hub/vn';

/** Serials from here on are warm-up records, never counted. */
export const WARMUP_BASE = 900_000;
/** Serials of the records sent at the measured rate before the measured ones (not counted). */
export const STEADY_WARMUP_BASE = 500_000;

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Ma', 'Nông', 'Bàn', 'Hầu', 'Đỗ', 'Lý', 'Triệu'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Thu', 'Quang', 'Ngọc', 'Hữu', 'Xuân', 'Thanh'];
const GIVEN = [
  'An',
  'Bình',
  'Cường',
  'Dũng',
  'Giang',
  'Hải',
  'Khánh',
  'Lan',
  'Mai',
  'Nam',
  'Phúc',
  'Quân',
  'Sơn',
  'Tú',
];
const VILLAGES = ['Nà Vài', 'Cốc Phát', 'Khuôn Hẻ', 'Bản Ba', 'Làng Chả', 'Tân Thành', 'Đồng Bả', 'Nà Héc'];

function facts(serial: number): { year: number; sex: Sex; month: number; day: number } {
  return {
    year: 1945 + (serial % 70),
    sex: serial % 2 ? 'MALE' : 'FEMALE',
    month: (serial % 12) + 1,
    day: (Math.floor(serial / 12) % 28) + 1,
  };
}

/** The valid 12-digit personal number of record `serial` (0 ≤ serial < 1,000,000). */
export function personalNumber(serial: number): string {
  const f = facts(serial);
  const digit = centurySexDigitFor(f.year, f.sex);
  if (digit === undefined) throw new Error(`no century digit for ${f.year}`);
  const id = `008${digit}${String(f.year).slice(2)}${String(serial).padStart(6, '0')}`;
  // Guard the generator, not the data: a wrong number would be rejected by http-ingest.
  if (!parsePersonalId(id).ok) throw new Error(`generated personal number ${serial} is not valid`);
  return id;
}

/** One citizen in http-ingest's canonical push shape (GET /openapi.json of the connector). */
export function citizenRecord(serial: number, tag: string, updatedAt: string): Record<string, unknown> {
  const f = facts(serial);
  const village = VILLAGES[serial % VILLAGES.length] ?? 'Nà Vài';
  return {
    recordId: `fr-${tag}-${serial}`,
    updatedAt,
    personalId: personalNumber(serial),
    fullName: `${FAMILY[serial % FAMILY.length]} ${MIDDLE[Math.floor(serial / 12) % MIDDLE.length]} ${GIVEN[Math.floor(serial / 120) % GIVEN.length]}`,
    dateOfBirth: `${String(f.day).padStart(2, '0')}/${String(f.month).padStart(2, '0')}/${f.year}`,
    sex: f.sex,
    ethnicity: serial % 4 ? 'Kinh' : 'Tày',
    permanentAddress: `Thôn ${village}, Xã Yên Sơn, Tỉnh Tuyên Quang`,
    fatherName: `${FAMILY[(serial + 1) % FAMILY.length]} Văn Páo`,
    motherName: `${FAMILY[(serial + 2) % FAMILY.length]} Thị Dế`,
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** What the load driver hands back (one entry per measured record, by serial). */
export interface DriverResult {
  rate: number;
  seconds: number;
  /** When each POST was issued (epochMs): the "source commit". */
  sentAt: number[];
  /** HTTP status per record (0 = no answer / network error). */
  status: number[];
  /** POST → answer, ms (NaN without an answer). */
  ackMs: number[];
  /** Distinct error texts (no record content) with counts. */
  errors: Record<string, number>;
  /** Achieved rate: records / (last send − first send). */
  achievedRate: number;
  /** Records sent at the same rate just before the measured ones (`--warmup` seconds), not in the arrays above. */
  warmup?: { seconds: number; sent: number; accepted: number };
  /** Largest gap, ms, between the scheduled and the actual send of a record. */
  maxScheduleLagMs: number;
}

export interface FeedItem {
  masterId: string;
  version: number;
  change: string;
  appliedAt: string;
}

/**
 * Follows GET /feeds/citizen from the start: for each master id the moment (epochMs) the feed page
 * naming it first arrived, and the feed's own appliedAt (`now()` of the read-model transaction: its
 * start). The feed row
 * commits in the same transaction as the record, so a record named by the feed is readable then.
 */
export class FeedReader {
  readonly seen = new Map<string, { seenAt: number; appliedAt: number }>();
  private cursor: string | undefined;
  private stopped = false;
  private done: Promise<void> | undefined;
  polls = 0;
  failures = 0;
  lastError = '';

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly pageSize: number,
    private readonly idleMs = 50,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let more = false;
      try {
        const q = new URLSearchParams({ limit: String(this.pageSize) });
        if (this.cursor) q.set('cursor', this.cursor);
        const res = await fetch(`${this.baseUrl}/feeds/citizen?${q.toString()}`, {
          headers: { 'x-api-key': this.apiKey },
        });
        const at = epochMs();
        this.polls++;
        if (!res.ok) throw new Error(`feed answered ${res.status}`);
        const body = (await res.json()) as { items: FeedItem[]; nextCursor: string | null; hasMore: boolean };
        for (const it of body.items) {
          if (it.change === 'DELETED' || this.seen.has(it.masterId)) continue;
          this.seen.set(it.masterId, { seenAt: at, appliedAt: Date.parse(it.appliedAt) });
        }
        if (body.nextCursor) this.cursor = body.nextCursor;
        more = body.hasMore;
      } catch (e) {
        this.failures++;
        this.lastError = (e as Error).message;
      }
      if (!more) await new Promise((r) => setTimeout(r, this.idleMs));
    }
  }
}

/**
 * Personal number of each master id, read back through GET /citizens/{masterId} (citizen.identity)
 * after the measured window, so the look-ups do not load the pipeline while it is being timed.
 */
export async function resolvePersonalNumbers(
  baseUrl: string,
  apiKey: string,
  masterIds: readonly string[],
  concurrency = 8,
): Promise<{ byMaster: Map<string, string>; failed: number }> {
  const byMaster = new Map<string, string>();
  let failed = 0;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const id = masterIds[i];
      if (id === undefined) return;
      try {
        const res = await fetch(`${baseUrl}/citizens/${encodeURIComponent(id)}`, {
          headers: { 'x-api-key': apiKey },
        });
        const body = (await res.json()) as { personalId?: string | null };
        if (res.ok && body.personalId) byMaster.set(id, body.personalId);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { byMaster, failed };
}

/** Nearest-rank percentile of sorted values (p in 0–100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? NaN;
}

export interface Distribution {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
export function distribution(values: readonly number[]): Distribution {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length ? (s[s.length - 1] ?? NaN) : NaN,
  };
}
