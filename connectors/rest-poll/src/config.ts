import { z } from 'zod';
import { connectorConfigSchema } from '@hub/connector-runtime';

const EnvName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an UPPER_SNAKE environment variable name');
const FieldPath = z.string().min(1, 'name a field of the response (dots for nesting)');

export const RestSourceShape = {
  /** Base URL of the department's API (no secrets in it). */
  baseUrl: z.string().url(),
  /** Environment variable that, when set, overrides baseUrl (one file for every environment). */
  baseUrlEnv: EnvName.optional(),
  /** Path of the list endpoint, e.g. /api/v1/dossiers. */
  path: z.string().startsWith('/'),
  /** API key sent in a header; the key itself lives in the environment variable `apiKeyEnv`. */
  auth: z
    .object({
      header: z.string().min(1).default('X-API-Key'),
      apiKeyEnv: EnvName,
      /** Written before the key, e.g. "Bearer ". */
      prefix: z.string().default(''),
    })
    .strict()
    .optional(),
  /** Query parameter names of the endpoint. `updatedSince` is inclusive (>=) on the server. */
  params: z
    .object({
      updatedSince: z.string().min(1).default('updatedSince'),
      page: z.string().min(1).default('page'),
      pageSize: z.string().min(1).default('pageSize'),
    })
    .strict()
    .default({ updatedSince: 'updatedSince', page: 'page', pageSize: 'pageSize' }),
  /** Extra query parameters sent with every list request. */
  query: z.record(z.string(), z.string()).default({}),
  /** Records per page (the server's maximum or less). One page is one batch. */
  pageSize: z.number().int().min(1).max(10_000).default(100),
  /** Number of the first page (1 or 0). */
  firstPage: z.number().int().min(0).max(1).default(1),
  /** Where the records and the page count are in the response body. */
  response: z
    .object({ items: FieldPath.default('data'), totalPages: FieldPath.optional() })
    .strict()
    .default({ items: 'data' }),
  /** Field of a record with its unique id, and with its last-update time (ISO 8601). */
  idField: FieldPath,
  updatedAtField: FieldPath,
  /**
   * Ask again for this many ms before the newest update time seen, for servers whose update times
   * can be written late; records already read (same id and update time) are not sent twice.
   */
  overlapMs: z.number().int().min(0).max(86_400_000).default(0),
  /** A record whose field equals one of `deletedValues` is published as a DELETE. */
  softDelete: z
    .object({
      field: FieldPath,
      deletedValues: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
    })
    .strict()
    .optional(),
  /** Reconciliation: an endpoint saying how many records the source holds. */
  count: z
    .object({ path: z.string().startsWith('/'), field: FieldPath })
    .strict()
    .optional(),
  /** Client-side limit: sustained requests per second, and burst. */
  rateLimit: z
    .object({ perSecond: z.number().positive().max(10_000), burst: z.number().int().min(1).default(1) })
    .strict()
    .default({ perSecond: 5, burst: 5 }),
  /** Per request; a request taking longer is abandoned and retried. */
  timeoutMs: z.number().int().min(100).max(300_000).default(15_000),
  /** Retries of 5xx, 408, 429, timeouts and network errors within one poll, with exponential backoff. */
  retry: z
    .object({
      attempts: z.number().int().min(1).max(20).default(5),
      baseMs: z.number().int().min(1).default(500),
      maxMs: z.number().int().min(1).default(30_000),
    })
    .strict()
    .default({ attempts: 5, baseMs: 500, maxMs: 30_000 }),
  /** Longest Retry-After honoured in one wait (longer ones end the poll; the connector backs off). */
  maxRetryAfterMs: z.number().int().min(0).default(120_000),
};

export const RestPollConfigSchema = connectorConfigSchema('rest-poll', RestSourceShape);
export type RestPollConfig = z.infer<typeof RestPollConfigSchema>;
export type RestSourceConfig = RestPollConfig['source'];
