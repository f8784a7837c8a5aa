import type {} from 'vitest';
import { randomBytes } from 'node:crypto';

/** Where the real infrastructure answers (written by the launcher, handed over by globalSetup). */
export interface Endpoints {
  readonly KAFKA_BROKERS: string;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly DATABASE_URL: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: Endpoints;
  }
}

/** A name no other test (or earlier run) uses: `test.<prefix>.<random>`. Contains "test" on purpose. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Poll until `probe` returns a value that is not undefined, or fail after the deadline. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${opts.what ?? 'condition'}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
