import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

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
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 240_000,
    },
  });
}
