import { defineConfig } from 'vitest/config';

// The checks read the built dist/ of the deployables (their config schemas): turbo builds them first (^build).
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 30_000 } });
