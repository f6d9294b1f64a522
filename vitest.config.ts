import { defineConfig } from 'vitest/config';
import { scaled } from './test/utils/time.js';

// Every timeout scales with MINYI_TEST_TIME_FACTOR (test/utils/time.ts): a busy CI machine sets it, no test
// measures the machine's speed. The bases are generous for a 2-core machine shared with other work: with the
// load average near 20 the demo data alone (a beforeAll of several files) took two minutes to load.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: scaled(20_000),
          hookTimeout: scaled(30_000),
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/utils/global-database.ts'],
          testTimeout: scaled(120_000),
          hookTimeout: scaled(300_000),
          expect: { poll: { timeout: scaled(20_000) } },
          // Test files share one embedded server; each file gets its own database in it.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/utils/global-database.ts'],
          testTimeout: scaled(120_000),
          hookTimeout: scaled(300_000),
          // expect.poll waits 1 s by default: a busy machine renders a page slower than that.
          expect: { poll: { timeout: scaled(20_000) } },
          fileParallelism: false,
        },
      },
    ],
  },
});
