/** Builds Minyi against a fresh database of the run's embedded server, for integration tests over HTTP. */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { inject } from 'vitest';
import { createApp } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config/index.js';
import { connectDatabase } from '../../server/db/connect.js';
import { buildContainer, type Container } from '../../server/container.js';
import { createLogger } from '../../server/logging/logger.js';
import { ensureIndexes } from '../../server/models/index.js';

export interface TestApp {
  app: Express;
  container: Container;
  config: Config;
  /** Empties every collection, between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export function databaseUriFor(name: string): string {
  const url = new URL(inject('databaseUri'));
  url.pathname = `/${name}`;
  return url.toString();
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MINYI_SECRET: 'test-secret-test-secret-test-secret-0123',
    MINYI_DB_TIMEOUT_MS: '1500',
    // Every test request comes from 127.0.0.1; the rate-limit test turns the limit on.
    MINYI_VOTE_RATE_LIMIT: '0',
    // Tallies written as soon as possible, so a test reads them right after drain().
    MINYI_TALLY_FLUSH_MS: '0',
    ...overrides,
  });
}

/** `databaseUri`: another server than the run's (a test that stops its own). */
export async function createTestApp(overrides: Record<string, string> = {}, options: { databaseUri?: string } = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const name = `minyi_test_${randomBytes(6).toString('hex')}`;
  const database = await connectDatabase(options.databaseUri ?? databaseUriFor(name), config.dbTimeoutMs);
  const container = buildContainer({
    config,
    logger: createLogger(config.logLevel),
    database,
    runningDatabase: { kind: inject('databaseKind') as 'ferretdb', description: 'test database' },
  });
  await ensureIndexes(container.models, { secondaryIndexes: database.capabilities.usesSecondaryIndexes });
  return {
    app: createApp(container),
    container,
    config,
    async reset() {
      for (const model of Object.values(container.models)) await model.deleteMany({});
      // What the server keeps in memory about the data just deleted.
      container.directory.invalidate();
      container.pageCache.clear();
      container.tallies.clear();
      container.voteRateLimiter.clear();
      container.adviceRateLimiter.clear();
      container.rateLimiter.clear();
      container.refusals.clear();
      container.voteWatch.clear();
    },
    async close() {
      await database.connection.dropDatabase().catch(() => {});
      await database.close();
    },
  };
}
