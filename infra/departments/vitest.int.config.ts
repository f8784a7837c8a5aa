import { defineConfig } from 'vitest/config';

/**
 * Integration tests against the machine's PostgreSQL and MariaDB and real HTTP servers. They do
 * not need Kafka or the registry, so they do not use @hub/testing's globalSetup (which starts them).
 */
export default defineConfig({
  test: {
    include: ['src/**/*.int.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
