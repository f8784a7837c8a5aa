import { SchemaRegistryClient, type Compatibility } from '@confluentinc/schemaregistry';
import avro from 'avsc';
import { AppError, DependencyUnavailableError, PoisonMessageError, errorMessage } from '@hub/errors';

export type CompatibilityLevel = `${Compatibility}`;

/** Avro as this hub reads it: unions of null and one type are plain values, longs are numbers. */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
}

/** The registry answered with an error status (a 4xx): not an outage, something to fix. */
export class RegistryError extends AppError {
  constructor(
    readonly status: number,
    readonly registryCode: number | undefined,
    message: string,
    cause?: unknown,
  ) {
    super('SCHEMA_REGISTRY_REJECTED', message, { cause });
  }
}

interface RestLikeError {
  status?: number;
  errorCode?: number;
  message?: string;
  code?: string;
  response?: { status?: number; data?: { message?: string; error_code?: number } };
}

function translate(error: unknown, action: string): Error {
  const e = error as RestLikeError;
  const status = e.status ?? e.response?.status;
  if (status !== undefined && status >= 400 && status < 500) {
    const detail = e.response?.data?.message ?? e.message ?? errorMessage(error);
    return new RegistryError(
      status,
      e.errorCode ?? e.response?.data?.error_code,
      `${action}: ${detail}`,
      error,
    );
  }
  return new DependencyUnavailableError(
    'schema-registry',
    `${action}: the schema registry is unreachable or failing (${errorMessage(error)})`,
    {
      cause: error,
    },
  );
}

/**
 * The hub's view of the schema registry (Confluent-compatible API, e.g. Apicurio's /apis/ccompat/v7).
 * Writer schemas are fetched by id once and cached: an id never changes meaning.
 */
export class SchemaRegistry {
  readonly client: SchemaRegistryClient;
  private readonly writerTypes = new Map<number, Promise<avro.Type>>();

  constructor(readonly url: string) {
    this.client = new SchemaRegistryClient({
      baseURLs: [url],
      maxRetries: 2,
      retriesWaitMs: 200,
      retriesMaxWaitMs: 2000,
    });
  }

  /** Register (or find) a schema under a subject; returns its id. Idempotent for identical content. */
  async register(subject: string, schema: object | string): Promise<number> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    try {
      return await this.client.register(subject, { schemaType: 'AVRO', schema: text });
    } catch (e) {
      throw translate(e, `registering a schema under ${subject}`);
    }
  }

  /** The id of exactly this schema under the subject, or undefined when it was never registered. */
  async lookup(subject: string, schema: object | string): Promise<number | undefined> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    try {
      return await this.client.getId(subject, { schemaType: 'AVRO', schema: text });
    } catch (e) {
      const t = translate(e, `looking up a schema under ${subject}`);
      if (t instanceof RegistryError && t.status === 404) return undefined;
      throw t;
    }
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    try {
      await this.client.updateCompatibility(subject, level as Compatibility);
    } catch (e) {
      throw translate(e, `setting compatibility of ${subject}`);
    }
  }

  async getCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    try {
      return await this.client.getCompatibility(subject);
    } catch (e) {
      const t = translate(e, `reading compatibility of ${subject}`);
      if (t instanceof RegistryError && t.status === 404) return undefined;
      throw t;
    }
  }

  async subjects(): Promise<string[]> {
    try {
      return await this.client.getAllSubjects();
    } catch (e) {
      throw translate(e, 'listing subjects');
    }
  }

  /** Every registered version of a subject, oldest first, with its id and schema text. */
  async history(subject: string): Promise<{ version: number; id: number; schema: string }[]> {
    let versions: number[];
    try {
      versions = await this.client.getAllVersions(subject);
    } catch (e) {
      const t = translate(e, `listing versions of ${subject}`);
      if (t instanceof RegistryError && t.status === 404) return [];
      throw t;
    }
    const out: { version: number; id: number; schema: string }[] = [];
    for (const version of [...versions].sort((a, b) => a - b)) {
      try {
        const meta = await this.client.getSchemaMetadata(subject, version, false);
        out.push({ version, id: meta.id ?? -1, schema: meta.schema ?? '' });
      } catch (e) {
        throw translate(e, `reading ${subject} version ${version}`);
      }
    }
    return out;
  }

  /** Ask the registry whether `schema` may be registered under `subject` by its compatibility rule. */
  async isCompatible(subject: string, schema: object | string): Promise<boolean> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    try {
      return await this.client.testSubjectCompatibility(subject, { schemaType: 'AVRO', schema: text });
    } catch (e) {
      const t = translate(e, `testing compatibility under ${subject}`);
      if (t instanceof RegistryError && t.status === 404) return true; // no versions yet
      throw t;
    }
  }

  /** The writer type for a schema id found in a message (Confluent wire format). */
  writerType(subject: string, id: number): Promise<avro.Type> {
    let pending = this.writerTypes.get(id);
    if (!pending) {
      pending = this.fetchWriterType(subject, id);
      this.writerTypes.set(id, pending);
      // A failed fetch must not be cached: the registry may be back a moment later.
      pending.catch(() => this.writerTypes.delete(id));
    }
    return pending;
  }

  private async fetchWriterType(subject: string, id: number): Promise<avro.Type> {
    let text: string | undefined;
    try {
      text = (await this.client.getBySubjectAndId(subject, id)).schema;
    } catch (e) {
      const t = translate(e, `fetching schema id ${id}`);
      if (t instanceof RegistryError && t.status === 404) {
        throw new PoisonMessageError(
          'UNKNOWN_SCHEMA_ID',
          `schema id ${id} is not known to the registry (was the message written against another registry?)`,
          {
            cause: t,
          },
        );
      }
      throw t;
    }
    return avroType(JSON.parse(text ?? 'null'));
  }
}
