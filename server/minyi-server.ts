/**
 * Starts Minyi (database, indexes, demo data, HTTP) and stops it as a list of cleanup tasks, in reverse
 * order of start: stop accepting, drain HTTP, close the connection, stop the embedded database.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp } from './app.js';
import type { Config } from './config/index.js';
import { connectDatabase } from './db/connect.js';
import { announceEmbeddedDatabase } from './db/embedded-database-file.js';
import { resolveDatabase } from './db/resolve-database.js';
import type { RunningDatabase } from './db/running-database.js';
import { buildContainer, loadStaticParts, type Container } from './container.js';
import type { Logger } from './logging/logger.js';
import { ensureIndexes } from './models/index.js';
import type { DemoLogin } from './services/demo/demo-seeder.js';
import { migrateLegacyTallies, repackCounters } from './services/tallies/legacy-tallies.js';
import { TallyVerifier } from './services/tallies/tally-verifier.js';
import { projectRoot } from './paths.js';

const DRAIN_TIMEOUT_MS = 10_000;
const MAINTENANCE_INTERVAL_MS = 60_000;

export interface StartedMinyi {
  url: string;
  container: Container;
  database: RunningDatabase;
  /** Demo staff sign-ins created at this start (only on a fresh demo database). */
  demoLogins: DemoLogin[] | null;
}

export class MinyiServer {
  private readonly cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  private stopping: Promise<void> | undefined;
  private inFlight: { count: () => number } | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    /** drainTimeoutMs: how long stopping waits for requests in flight (a test sets it beyond its own timeout to show stop never needs it). */
    private readonly options: { ephemeralDatabase?: boolean; print?: (line: string) => void; drainTimeoutMs?: number } = {},
  ) {}

  async start(): Promise<StartedMinyi> {
    const print = this.options.print ?? (() => {});
    const phases: Record<string, number> = {};
    let phaseStart = performance.now();
    const phase = (name: string) => {
      phases[name] = Math.round(performance.now() - phaseStart);
      phaseStart = performance.now();
    };
    const parts = loadStaticParts();
    phase('templates and views');
    const database = await resolveDatabase({
      mongodbUri: this.config.mongodbUri,
      dataDir: this.config.dataDir,
      embedded: this.config.embeddedDatabase,
      ephemeral: this.options.ephemeralDatabase,
      cacheDir: path.join(projectRoot(), '.cache'),
      log: print,
    });
    this.cleanups.push({ name: 'embedded database', run: () => database.stop() });
    phase('database');
    print(`Database: ${database.description}`);
    if (!this.options.ephemeralDatabase) {
      const forget = announceEmbeddedDatabase(this.config.dataDir, database);
      this.cleanups.push({ name: 'embedded database address file', run: async () => forget() });
    }

    const connection = await connectDatabase(database.uri, this.config.dbTimeoutMs);
    this.cleanups.push({ name: 'database connection', run: () => connection.close() });
    const container = buildContainer({ config: this.config, logger: this.logger, database: connection, runningDatabase: database }, parts);
    phase('connection');
    await ensureIndexes(container.models, { secondaryIndexes: connection.capabilities.usesSecondaryIndexes });
    phase('indexes');
    await migrateLegacyTallies(container.models, container.tallies, new TallyVerifier(container.models, container.tallies), this.logger);
    // In the background: counts are read in either form meanwhile, and a big survey's slices take minutes on FerretDB.
    void repackCounters(container.models, this.logger).catch((error: unknown) => this.logger.warn({ err: error }, 'could not store older counters as text; will try again at the next start'));

    this.startMaintenance(container);

    const seedDemo = this.config.demoData === 'true' || (this.config.demoData === 'auto' && database.kind !== 'external');
    const demoLogins = seedDemo ? await container.demo.seedIfEmpty() : null;
    phase('demo data');

    const server = http.createServer(createApp(container));
    server.keepAliveTimeout = 65_000;
    const drainTimeoutMs = this.options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
    const inFlight = trackInFlight(server, drainTimeoutMs);
    this.inFlight = inFlight;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.cleanups.push({ name: 'HTTP server', run: () => closeHttpServer(server, inFlight, drainTimeoutMs) });
    phase('listening');
    this.logger.info({ ms: phases }, 'started');
    const { port } = server.address() as AddressInfo;
    const url = `http://${this.config.host === '0.0.0.0' || this.config.host === '127.0.0.1' ? 'localhost' : this.config.host}:${port}`;
    return { url, container, database, demoLogins };
  }

  /** Requests being handled right now. */
  requestsInFlight(): number {
    return this.inFlight?.count() ?? 0;
  }

  /**
   * Periodic deletes stand in for TTL indexes (FerretDB has none); pending tally updates left by a crash
   * or an outage are repaired. Stopping waits for queued tally updates so no acknowledged vote is uncounted.
   */
  private startMaintenance(container: Container): void {
    const run = async () => {
      try {
        container.voteRateLimiter.deleteExpired();
        await container.rateLimiter.deleteExpired();
        await container.codes.compactUses();
        await container.tallyWriter.recoverPending();
      } catch (error) {
        this.logger.warn({ err: error }, 'maintenance skipped: database unavailable');
      }
    };
    const timer = setInterval(() => void run(), MAINTENANCE_INTERVAL_MS);
    timer.unref();
    void run();
    this.cleanups.push({
      name: 'maintenance and tally queue',
      run: async () => {
        clearInterval(timer);
        // A database that does not answer cannot hold shutdown: what is left is settled by the next start.
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([container.tallyWriter.drain(), new Promise((resolve) => (timeout = setTimeout(resolve, 2 * this.config.dbTimeoutMs)))]);
        clearTimeout(timeout);
        container.tallyWriter.stop();
      },
    });
  }

  /** Runs every cleanup task once, newest first; later calls wait for the first. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const task of this.cleanups.reverse()) {
        try {
          await task.run();
        } catch (error) {
          this.logger.error({ err: error, task: task.name }, 'cleanup task failed');
        }
      }
    })();
    return this.stopping;
  }
}

/** Counts requests being handled, including those whose client already hung up: their work still reaches the database. */
function trackInFlight(server: http.Server, drainTimeoutMs: number): { count: () => number; idle: () => Promise<void> } {
  let active = 0;
  let waiters: Array<() => void> = [];
  server.on('request', (_req, res: http.ServerResponse) => {
    active += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      active -= 1;
      if (active === 0) {
        for (const wake of waiters) wake();
        waiters = [];
      }
    };
    res.once('finish', finish);
    res.once('close', () => {
      if (res.writableFinished) return finish();
      // The client hung up first: that does not stop the handler; give it until it writes, or the drain timeout.
      // (Only then a timer: one per request would keep every response alive for the whole timeout.)
      res.once('finish', finish);
      setTimeout(finish, drainTimeoutMs).unref();
    });
  });
  return {
    count: () => active,
    idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

/** Stops accepting connections, lets in-flight requests finish, then cuts whatever is left after a timeout. */
async function closeHttpServer(server: http.Server, inFlight: { idle: () => Promise<void> }, drainTimeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Requests still arriving on kept-alive connections are answered, and their connection closed after.
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.setHeader('Connection', 'close'));
  server.closeIdleConnections();
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, drainTimeoutMs).unref());
  await Promise.race([Promise.all([closed, inFlight.idle()]), timeout]);
  server.closeAllConnections();
}
