import { defineConfig } from "vitest/config";

// Tests run against the built packages (dist), like real consumers; `npm test` runs `tsc -b` first.
export default defineConfig({
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "apps/*/test/**/*.test.ts",
      "e2e/**/*.test.ts",
      "docs/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Process-level tests (SIGKILL, multi-node) and browser tests are CPU-heavy: keep files sequential-ish.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
