import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          setupFiles: ["test/support/env.ts"],
          // The slowest (diarizing espeak conversations) take about 2 s here with a CI run beside them: 5 s, vitest's
          // default, would leave too little room on a machine half as fast. A timeout only ends a hung test.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // `npm run bench` only: figures, not pass/fail (excluded from `npm test`).
        test: {
          name: "bench",
          include: ["bench/**/*.bench.ts"],
          setupFiles: ["test/support/env.ts"],
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          setupFiles: ["test/support/env.ts", "test/support/teeLogs.ts"],
          // One emulator suite for all files: run them one after another so triggers are not starved on 2 cores.
          fileParallelism: false,
          // Generous: the suite must pass on a machine half as fast as a developer's, loaded. Tests wait for outcomes,
          // never for a time; a timeout only ends a test that would otherwise hang.
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The provider adapters (FAL, OpenAI, …) against local stand-ins, in the demo-providers emulator project.
        test: {
          name: "providers",
          include: ["test/providers/**/*.test.ts"],
          setupFiles: ["test/support/env.ts", "test/support/teeLogs.ts"],
          fileParallelism: false,
          // Generous: the suite must pass on a machine half as fast as a developer's, loaded. Tests wait for outcomes,
          // never for a time; a timeout only ends a test that would otherwise hang.
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
      {
        // After the e2e and provider runs (scripts/test.sh): the monitoring assets against the log lines they wrote.
        test: {
          name: "monitoring",
          include: ["test/monitoring/**/*.test.ts"],
        },
      },
    ],
  },
});
