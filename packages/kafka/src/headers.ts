import type { IHeaders } from 'kafkajs';

/** Header names the hub writes. Lower-case, `hub-` prefixed, stable: other languages read them too. */
export const HEADERS = {
  correlationId: 'hub-correlation-id',
  source: 'hub-source',
  eventId: 'hub-event-id',
  dlqReason: 'hub-dlq-reason',
  dlqSource: 'hub-dlq-source',
  dlqError: 'hub-dlq-error',
  dlqAt: 'hub-dlq-at',
  dlqConsumer: 'hub-dlq-consumer',
  replayOf: 'hub-replay-of',
} as const;

export type Headers = Record<string, string>;

/** kafkajs headers (Buffer | string | arrays) → plain strings (the last value wins). */
export function readHeaders(raw: IHeaders | undefined): Headers {
  const out: Headers = {};
  if (!raw) return out;
  for (const [k, v] of Object.entries(raw)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}
