import type avro from 'avsc';
import {
  DependencyUnavailableError,
  PoisonMessageError,
  ValidationError,
  type ErrorDetail,
} from '@hub/errors';
import type { Logger } from '@hub/log';
import { backoffDelay } from './backoff.js';
import { avroType, type SchemaRegistry } from './schema-registry.js';

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body. */
export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_SIZE);
  return out;
}

export function unframe(bytes: Buffer | null): { schemaId: number; body: Buffer } {
  if (bytes === null || bytes.length < HEADER_SIZE) {
    throw new PoisonMessageError(
      'NOT_WIRE_FORMAT',
      `value is ${bytes === null ? 'empty (a tombstone)' : `${bytes.length} bytes`}: too short for the Confluent wire format (magic byte + 4-byte schema id + Avro body)`,
    );
  }
  const magic = bytes.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    throw new PoisonMessageError(
      'NOT_WIRE_FORMAT',
      `value starts with byte 0x${magic.toString(16).padStart(2, '0')}, not the magic byte 0x00: it was not written with a schema-registry serializer`,
    );
  }
  return { schemaId: bytes.readUInt32BE(1), body: bytes.subarray(HEADER_SIZE) };
}

/** Encoding scratch space, shared by every codec (encoding is synchronous); grows when a value needs more. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Every field of `value` that does not fit `type`, as precise details (path, expected type). */
export function validationDetails(type: avro.Type, value: unknown): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  type.isValid(value, {
    errorHook: (path: string[], got: unknown, fieldType: avro.Type) => {
      const expected = fieldType.typeName ?? fieldType.branchName ?? 'value';
      details.push({
        field: `/${path.join('/')}`,
        problem:
          got === undefined
            ? `is missing; expected ${expected}`
            : `has the wrong type ${describe(got)}; expected ${expected}`,
        hint: 'Fix the field in the source record (see the schema in schemas/).',
      });
    },
  });
  return details;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Encodes and decodes one subject's values. Encoding uses the schema from `schemas/` registered
 * under the subject (never a schema inferred from the object). Decoding resolves the writer's
 * schema (by the id in the message) to this reader schema, so old messages read as current ones.
 */
export class AvroCodec<T = unknown> {
  readonly type: avro.Type;
  private schemaId: number | undefined;
  private readonly resolvers = new Map<number, avro.Resolver>();

  constructor(
    private readonly registry: SchemaRegistry,
    readonly subject: string,
    readonly schema: object,
  ) {
    this.type = avroType(schema);
  }

  /** Find the id of this exact schema (or register it when `register` is true). */
  async init(opts: { register?: boolean } = {}): Promise<number> {
    if (this.schemaId !== undefined) return this.schemaId;
    const id = opts.register
      ? await this.registry.register(this.subject, this.schema)
      : await this.registry.lookup(this.subject, this.schema);
    if (id === undefined) {
      throw new ValidationError(
        `the schema for ${this.subject} in schemas/ is not registered in the schema registry; run \`npm run schemas:register\``,
      );
    }
    this.schemaId = id;
    return id;
  }

  get id(): number {
    if (this.schemaId === undefined) throw new Error(`AvroCodec(${this.subject}) used before init()`);
    return this.schemaId;
  }

  /** Encode a value; throws ValidationError listing every field that does not fit the schema. */
  encode(value: T): Buffer {
    const id = this.id;
    let end: number;
    try {
      // Written once into a reused scratch buffer, behind room for the header (avsc's toBuffer goes
      // through a 1 KiB buffer and writes a bigger value twice, then it was copied again to frame it).
      end = this.type.encode(value, scratch, HEADER_SIZE);
      if (end < 0) {
        scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
        end = this.type.encode(value, scratch, HEADER_SIZE);
      }
    } catch (cause) {
      const details = validationDetails(this.type, value);
      throw new ValidationError(`value does not match schema ${this.type.name ?? this.subject}`, {
        cause,
        details: details.length ? details : [{ problem: String(cause) }],
      });
    }
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    out.writeUInt8(MAGIC_BYTE, 0);
    out.writeUInt32BE(id, 1);
    return out;
  }

  /**
   * Synchronous decode for the common case (written with this very schema); undefined when the
   * writer's schema differs and must be fetched and resolved (use `decode`).
   */
  decodeIfSameSchema(bytes: Buffer | null): { schemaId: number; value: T } | undefined {
    const { schemaId, body } = unframe(bytes);
    if (schemaId !== this.schemaId) return undefined;
    try {
      return { schemaId, value: this.type.fromBuffer(body) as T };
    } catch (cause) {
      throw new PoisonMessageError(
        'DECODE_FAILED',
        `Avro body does not decode with schema id ${schemaId}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** Decode bytes from Kafka. Throws PoisonMessageError for bytes that can never be read. */
  async decode(bytes: Buffer | null): Promise<{ schemaId: number; value: T }> {
    const { schemaId, body } = unframe(bytes);
    // Same schema as ours (the common case): no resolver, no registry round trip.
    const resolver = schemaId === this.schemaId ? undefined : await this.resolverFor(schemaId);
    try {
      const value = this.type.fromBuffer(body, resolver, false) as T;
      return { schemaId, value };
    } catch (cause) {
      throw new PoisonMessageError(
        'DECODE_FAILED',
        `Avro body does not decode with schema id ${schemaId}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  private async resolverFor(schemaId: number): Promise<avro.Resolver | undefined> {
    const cached = this.resolvers.get(schemaId);
    if (cached) return cached;
    const writer = await this.registry.writerType(this.subject, schemaId);
    let resolver: avro.Resolver;
    try {
      resolver = this.type.createResolver(writer);
    } catch (cause) {
      throw new PoisonMessageError(
        'SCHEMA_MISMATCH',
        `message written with schema id ${schemaId} (${writer.name ?? 'anonymous'}) cannot be read as ${this.type.name ?? this.subject}: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.resolvers.set(schemaId, resolver);
    return resolver;
  }
}

export interface InitCodecsOptions {
  /** Register a missing schema instead of failing (tests; production registers with `npm run schemas:register`). */
  readonly register?: boolean;
  /** Where each wait is reported (`schema_registry_unavailable_waiting`, a warning). */
  readonly logger?: Logger;
  /** Stop waiting (and throw the registry's error) once this says so: the component is stopping. */
  readonly cancelled?: () => boolean;
  readonly baseMs?: number;
  readonly maxMs?: number;
}

/**
 * Find (or register) the ids of every codec's schema. While the schema registry is unreachable or
 * failing, a component that starts waits for it — with backoff, each wait logged — instead of
 * failing its start: the registry down for a while is an outage, not a reason to exit (ARCHITECTURE
 * §9). Any other error (a schema that was never registered, a 4xx) fails at once with its reason.
 */
export async function initCodecs(codecs: Iterable<AvroCodec>, opts: InitCodecsOptions = {}): Promise<void> {
  const sliceMs = 100;
  for (const codec of codecs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await codec.init({ register: opts.register ?? false });
        if (attempt > 0)
          opts.logger?.info({ subject: codec.subject, attempts: attempt + 1 }, 'schema_registry_available');
        break;
      } catch (e) {
        if (!(e instanceof DependencyUnavailableError) || opts.cancelled?.()) throw e;
        const delayMs = backoffDelay(attempt, { baseMs: opts.baseMs ?? 500, maxMs: opts.maxMs ?? 10_000 });
        opts.logger?.warn(
          { subject: codec.subject, attempt: attempt + 1, delayMs, err: e.message },
          'schema_registry_unavailable_waiting',
        );
        for (let waited = 0; waited < delayMs && !opts.cancelled?.(); waited += sliceMs)
          await new Promise((r) => setTimeout(r, Math.min(sliceMs, delayMs - waited)));
        if (opts.cancelled?.()) throw e;
      }
    }
  }
}
