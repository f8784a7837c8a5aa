import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.int.test.ts', 'node_modules/**'],
    // Property tests: a fixed seed in CI (a red build must be reproducible, and must not depend on
    // luck), a fresh one on developers' machines (so the search for counterexamples goes on).
    setupFiles: ['./src/test-setup/fast-check-seed.ts'],
  },
});
