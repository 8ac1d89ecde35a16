// The UI smoke test: the built app against an in-memory stand-in for vbx (e2e/mock/server.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/smoke.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
