import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Seeds fast-check: fixed under CI, `FC_SEED` replays, fresh otherwise (fast-check-seed.ts). */
const setupFiles = [fileURLToPath(new URL('./fast-check-seed.js', import.meta.url))];

/**
 * Shared vitest configuration for unit and property tests (`*.test.ts` under `src/`, or the given
 * folders), without the integration tests.
 */
export function unitConfig(options: { folders?: readonly string[]; testTimeout?: number } = {}): ViteUserConfig {
  const folders = options.folders ?? ['src'];
  return defineConfig({
    test: {
      include: folders.map((f) => `${f}/**/*.test.ts`),
      exclude: [...folders.map((f) => `${f}/**/*.int.test.ts`), 'node_modules/**'],
      setupFiles,
      ...(options.testTimeout !== undefined ? { testTimeout: options.testTimeout } : {}),
    },
  });
}

/**
 * Shared vitest configuration for `*.int.test.ts`: the real infrastructure (globalSetup), one
 * file at a time (they share one broker and one registry), generous timeouts for JVM-backed
 * services — these are deadlines against hangs, not performance assertions.
 */
export function integrationConfig(): ViteUserConfig {
  return defineConfig({
    test: {
      include: ['src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
      globalSetup: [fileURLToPath(new URL('./global-setup.js', import.meta.url))],
      setupFiles,
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 240_000,
    },
  });
}
