import { DependencyUnavailableError, NotFoundError, errorMessage } from '@hub/errors';
import type { Dataset } from '../domain/scopes.js';

/**
 * Lineage and history belong to the consolidation (it owns those tables): this client asks its
 * internal HTTP API (`GET /masters/:entity/:id`, `GET /masters/:entity/:id/history`). Not configured
 * or unreachable → DependencyUnavailableError (503), never a read of the consolidation's tables.
 */
export class ConsolidationClient {
  constructor(
    private readonly baseUrl: string | undefined,
    private readonly timeoutMs: number,
    /** The consolidation's INTERNAL_API_TOKEN, sent as a bearer token when set. */
    private readonly token?: string,
  ) {}

  lineage(dataset: Dataset, masterId: string): Promise<unknown> {
    return this.get(`/masters/${dataset}/${encodeURIComponent(masterId)}`);
  }

  history(dataset: Dataset, masterId: string): Promise<unknown> {
    return this.get(`/masters/${dataset}/${encodeURIComponent(masterId)}/history`);
  }

  private async get(path: string): Promise<unknown> {
    if (this.baseUrl === undefined) {
      throw new DependencyUnavailableError('consolidation', 'lineage and history are served by the consolidation service, and CONSOLIDATION_URL is not configured');
    }
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) } });
    } catch (cause) {
      throw new DependencyUnavailableError('consolidation', `the consolidation service at ${new URL(this.baseUrl).origin} is unreachable: ${errorMessage(cause)}`, { cause });
    }
    if (res.status === 404) throw new NotFoundError('the consolidation has no such master record');
    if (res.status === 401) throw new DependencyUnavailableError('consolidation', 'the consolidation service refused this service (401): set CONSOLIDATION_TOKEN to its INTERNAL_API_TOKEN');
    if (!res.ok) throw new DependencyUnavailableError('consolidation', `the consolidation service answered ${res.status}`);
    try {
      return await res.json();
    } catch (cause) {
      throw new DependencyUnavailableError('consolidation', 'the consolidation service sent a body that is not JSON', { cause });
    }
  }
}
