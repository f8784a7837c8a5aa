/**
 * The police residence system pushes JSON events to a configurable URL with an API key and
 * reports every response. Body `{"records": [...]}`, headers `X-Api-Key` and `Idempotency-Key`
 * (the shape of the hub's http-ingest batch endpoint `/v1/sources/:source/:entities/batch`). Events queue in memory; `flush` sends them in order, one request per
 * batch, and keeps a batch that failed (network error, 429 or 5xx) for the next flush.
 */
import { residenceEvent } from '../departments/police-residence.js';
import type { SourceRecord } from '../departments/types.js';
import { Noiser, emptyStats } from '../noise/noise.js';
import { livePerson, liveRng } from './live-people.js';
import { emptyTick, type DepartmentSimulator, type GroundTruthCounts, type TickResult } from './types.js';

export interface PushResponse {
  eventIds: string[];
  /** HTTP status, or 0 when the request did not get an answer. */
  status: number;
  ok: boolean;
  body: string;
  error?: string;
  at: string;
}

export interface PolicePushOptions {
  /** Where events go, e.g. the hub's http-ingest endpoint. */
  targetUrl: string;
  apiKey: string;
  batchSize?: number;
  timeoutMs?: number;
  /** Called with every response (for logs and tests). */
  onResponse?: (response: PushResponse) => void;
}

export class PolicePushClient implements DepartmentSimulator {
  readonly id = 'police-residence';
  private queue: Array<Record<string, unknown>> = [];
  private delivered = 0;
  private failed = 0;
  readonly responses: PushResponse[] = [];

  constructor(private readonly options: PolicePushOptions) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  load(records: readonly SourceRecord[]): Promise<void> {
    for (const r of records) this.queue.push(r.row);
    return Promise.resolve();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Sends queued events until the queue is empty or a batch fails; returns the responses. */
  async flush(maxBatches = Number.POSITIVE_INFINITY): Promise<PushResponse[]> {
    const out: PushResponse[] = [];
    for (let n = 0; n < maxBatches && this.queue.length > 0; n++) {
      const batch = this.queue.slice(0, this.options.batchSize ?? 100);
      const response = await this.send(batch);
      out.push(response);
      this.responses.push(response);
      if (this.responses.length > 1000) this.responses.shift();
      this.options.onResponse?.(response);
      if (!response.ok) {
        this.failed++;
        break;
      }
      this.queue = this.queue.slice(batch.length);
      this.delivered += batch.length;
    }
    return out;
  }

  private async send(batch: ReadonlyArray<Record<string, unknown>>): Promise<PushResponse> {
    const eventIds = batch.map((e) => String(e.eventId));
    const at = new Date().toISOString();
    try {
      const res = await fetch(this.options.targetUrl, {
        method: 'POST',
        // Same batch retried after a failure → same Idempotency-Key, so the target can deduplicate.
        headers: {
          'content-type': 'application/json',
          'x-api-key': this.options.apiKey,
          'idempotency-key': `${eventIds[0] ?? ''}..${eventIds[eventIds.length - 1] ?? ''}`,
        },
        body: JSON.stringify({ records: batch }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      return { eventIds, status: res.status, ok: res.ok, body: await res.text(), at };
    } catch (e: unknown) {
      return {
        eventIds,
        status: 0,
        ok: false,
        body: '',
        error: e instanceof Error ? e.message : String(e),
        at,
      };
    }
  }

  /** delivered: accepted by the target; pending: still queued; failedBatches: answers that were not 2xx. */
  counts(): Promise<GroundTruthCounts> {
    return Promise.resolve({
      delivered: { total: this.delivered, live: this.delivered },
      pending: { total: this.queue.length, live: this.queue.length },
      failedBatches: { total: this.failed, live: this.failed },
    });
  }

  /** Queues new residence events (new arrivals) and pushes what is queued. */
  async tick(changes: number): Promise<TickResult> {
    const result = emptyTick();
    const rng = liveRng();
    const noiser = new Noiser(rng, {}, emptyStats());
    for (let i = 0; i < changes; i++) {
      const p = livePerson(rng, `${rng.int(1950, 2007)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}`);
      const eventId = `cutru-live-${p.entityId}`;
      const person = {
        id: p.entityId,
        householdId: '',
        familyName: '',
        middleName: '',
        givenName: '',
        fullName: p.fullName,
        sex: p.sex,
        ethnicity: p.ethnicity,
        dateOfBirth: p.dateOfBirth,
        birthRegistrationCode: '008',
        personalId: p.personalId,
        cmnd: undefined,
        fatherId: undefined,
        motherId: undefined,
        spouseId: undefined,
        deathDate: undefined,
        address: p.address,
      };
      this.queue.push(
        residenceEvent(person, new Map(), 'DANG_KY_THUONG_TRU', eventId, new Date().toISOString(), noiser),
      );
      result.truth.push({
        source: 'police-residence',
        table: 'events',
        sourceRecordId: eventId,
        entityType: 'person',
        entityId: p.entityId,
        noise: [],
      });
      result.inserted++;
    }
    await this.flush(10);
    return result;
  }

  reset(): Promise<void> {
    this.queue = [];
    this.delivered = 0;
    this.failed = 0;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
