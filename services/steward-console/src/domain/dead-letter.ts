import { ValidationError } from '@hub/errors';

/** Header names written by the bus's DeadLetterWriter (mirrors HEADERS in @hub/kafka). */
export const DLQ_HEADERS = {
  reason: 'hub-dlq-reason',
  source: 'hub-dlq-source',
  error: 'hub-dlq-error',
  at: 'hub-dlq-at',
  consumer: 'hub-dlq-consumer',
  replayOf: 'hub-replay-of',
} as const;

export interface Coordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** `topic/partition/offset` → parts. Topic names may not contain '/', so the last two parts are numbers. */
export function parseCoordinates(text: string | undefined): Coordinates | undefined {
  if (!text) return undefined;
  const m = /^(.+)\/(\d+)\/(\d+)$/.exec(text);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { topic: m[1], partition: Number(m[2]), offset: m[3] };
}

export const formatCoordinates = (c: Coordinates): string => `${c.topic}/${c.partition}/${c.offset}`;

/** A dead letter as the console indexes it: where it sits, why, and where it came from. */
export interface DeadLetterEntry {
  readonly dlq: Coordinates;
  readonly connectorId: string;
  readonly reason: string;
  readonly error: string | null;
  readonly source: Coordinates | undefined;
  readonly deadLetteredAt: number;
  readonly consumer: string | null;
  readonly replayOf: string | null;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export function toDeadLetterEntry(
  dlq: Coordinates,
  prefix: string,
  msg: { key: Buffer | null; value: Buffer | null; headers: Readonly<Record<string, string>>; timestamp: number },
): DeadLetterEntry {
  const h = msg.headers;
  const at = h[DLQ_HEADERS.at] ? Date.parse(h[DLQ_HEADERS.at] ?? '') : NaN;
  return {
    dlq,
    connectorId: dlq.topic.startsWith(prefix) ? dlq.topic.slice(prefix.length) : dlq.topic,
    reason: h[DLQ_HEADERS.reason] ?? 'UNKNOWN',
    error: h[DLQ_HEADERS.error] ?? null,
    source: parseCoordinates(h[DLQ_HEADERS.source]),
    deadLetteredAt: Number.isFinite(at) ? at : msg.timestamp,
    consumer: h[DLQ_HEADERS.consumer] ?? null,
    replayOf: h[DLQ_HEADERS.replayOf] ?? null,
    key: msg.key,
    value: msg.value,
    headers: h,
  };
}

/**
 * The message to put back on the original topic: original key and bytes, the original headers
 * without the `hub-dlq-*` ones, and `hub-replay-of` naming the dead letter it came from.
 */
export function replayMessage(entry: { dlq: Coordinates; source: Coordinates | undefined; key: Buffer | null; value: Buffer | null; headers: Readonly<Record<string, string>> }): {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
} {
  if (!entry.source) {
    throw new ValidationError(`dead letter ${formatCoordinates(entry.dlq)} has no ${DLQ_HEADERS.source} header: the original topic is unknown, it cannot be replayed`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry.headers)) if (!k.startsWith('hub-dlq-') && k !== DLQ_HEADERS.replayOf) headers[k] = v;
  headers[DLQ_HEADERS.replayOf] = formatCoordinates(entry.dlq);
  return { topic: entry.source.topic, key: entry.key, value: entry.value, headers };
}

/** How the original value is shown: decoded Avro, else UTF-8 text, else hex. */
export type DecodedValue =
  | { readonly kind: 'avro'; readonly schemaId: number; readonly json: string }
  | { readonly kind: 'text'; readonly text: string; readonly note?: string }
  | { readonly kind: 'hex'; readonly hex: string; readonly note?: string }
  | { readonly kind: 'empty' };

/** Printable UTF-8 (no control characters besides whitespace) is shown as text; anything else as hex. */
export function asTextOrHex(bytes: Buffer, note?: string): DecodedValue {
  const text = bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what marks binary data
  const printable = !text.includes('\uFFFD') && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
  const extra = note === undefined ? {} : { note };
  if (printable) return { kind: 'text', text, ...extra };
  const hex = bytes.subarray(0, 4096).toString('hex').replace(/(..)/g, '$1 ').trim();
  return { kind: 'hex', hex: bytes.length > 4096 ? `${hex} …` : hex, ...extra };
}

/** JSON for display: Buffers (Avro bytes/fixed) as hex, bigints as strings. */
export function displayJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
        return `0x${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
      }
      return v;
    },
    2,
  );
}
