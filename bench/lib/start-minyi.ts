/** Starts Minyi in this process on a throwaway embedded database with the demo data, for a benchmark. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../server/config/index.js';
import type { Container } from '../../server/container.js';
import { createLogger } from '../../server/logging/logger.js';
import { MinyiServer } from '../../server/minyi-server.js';

/** Fixed so the bench process can sign form tokens that Minyi accepts. */
export const BENCH_SECRET = 'minyi-bench-secret-0123456789-abcdefghij';

export interface BenchMinyi {
  /** Base address on 127.0.0.1 (not "localhost", which may resolve to ::1 first). */
  url: string;
  container: Container;
  config: Config;
  /** What the embedded database is, as Minyi describes it. */
  databaseDescription: string;
  /** Stops Minyi (drains the tally queue, closes the database) and removes its data folder; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Votes are neither rate-limited nor held back by the minimum fill time: the benchmark sends them from one
 * address, as fast as it can. `overrides` are extra environment settings (names as in the README).
 */
export async function startMinyi(overrides: Record<string, string> = {}): Promise<BenchMinyi> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minyi-bench-'));
  const config = loadConfig({
    PORT: '0',
    MINYI_DATA_DIR: dataDir,
    MINYI_SECRET: BENCH_SECRET,
    LOG_LEVEL: 'warn',
    MINYI_MIN_FILL_SECONDS: '0',
    MINYI_VOTE_RATE_LIMIT: '0',
    MINYI_DEMO_DATA: 'true',
    ...overrides,
  });
  const logger = createLogger(config.logLevel);
  const minyi = new MinyiServer(config, logger, { ephemeralDatabase: true, print: (line) => process.stderr.write(`${line}\n`) });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await minyi.stop();
      logger.flush();
      await rm(dataDir, { recursive: true, force: true });
    })());
  try {
    const started = await minyi.start();
    const url = new URL(started.url);
    url.hostname = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    return { url: url.origin, container: started.container, config, databaseDescription: started.database.description, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
