/**
 * One place that decides whether a read can be trusted, and what happens when it cannot. The driver hands a
 * connection's next reply to whatever request waits on it without checking which request it answers, so a
 * connection that got out of step (a reply left unread, or a server that mixed up its answers) gives every
 * later request the answer to another one: a find without its cursor, a bureau without its slug, a survey
 * "not found". So a read that cannot be parsed, lacks the fields its record must have, or does not match its
 * own filter is a database fault: the pool is reset (every connection dropped, new ones opened), the read is
 * tried once more, and if that fails too the request gets 503 with Retry-After. /healthz reports the faults.
 */
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { ServiceUnavailableError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import { isDatabaseUnavailable, isUnreadableReply } from './database-faults.js';

/** How long /healthz stays unhealthy after the last fault seen. */
const FAULT_WINDOW_MS = 5000;
const RETRY_AFTER_SECONDS = 5;

/** A read whose answer cannot be right; thrown by checks, caught by DatabaseHealth.read. */
export class UntrustedReadError extends Error {
  constructor(readonly what: string, readonly problem: string) {
    super(`${what}: ${problem}`);
    this.name = 'UntrustedReadError';
  }
}

/** What a check says about a value read: undefined when it is fine, else the problem. */
export type ReadCheck<T> = (value: T) => string | undefined;

export interface DatabaseHealthOptions {
  logger: Logger;
  timeoutMs: number;
  faultWindowMs?: number;
  now?: () => number;
}

interface DriverPool {
  generation: number;
  checkedOut: Set<{ generation: number; onError(error: Error): void }>;
}

/** What an operation in flight gets when resetPool() closes its connection; a read of ours is tried again. */
export class PoolResetError extends Error {
  constructor() {
    super('The connection was closed to reset the pool after an untrusted reply.');
    this.name = 'PoolResetError';
  }
}

export class DatabaseHealth {
  private lastFaultAt = Number.NEGATIVE_INFINITY;
  private lastFault: string | undefined;
  private faults = 0;
  private resets = 0;
  private readonly now: () => number;
  /** Errors already counted (by read()), so the error middleware does not count them again. */
  private readonly handled = new WeakSet<object>();

  constructor(
    private readonly connection: Connection,
    private readonly options: DatabaseHealthOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs a read and checks its answer. An unreadable or wrong answer resets the pool and the read runs once
   * more; a second bad answer, or a database that cannot be reached, becomes a ServiceUnavailableError.
   * A database that does not answer is not asked twice: the request would wait twice the timeout.
   */
  async read<T>(what: string, load: () => Promise<T>, check: ReadCheck<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let problem: string;
      let cause: unknown;
      try {
        const value = await load();
        const wrong = check(value);
        if (wrong === undefined) return value;
        problem = wrong;
        cause = new UntrustedReadError(what, wrong);
      } catch (error) {
        // A read interrupted by a reset that another request's bad reply caused: the server is fine, ask again.
        if (attempt === 1 && isPoolReset(error)) continue;
        if (isDatabaseUnavailable(error)) {
          this.recordFault(`${what}: ${(error as Error).message}`);
          if (error && typeof error === 'object') this.handled.add(error);
          throw new ServiceUnavailableError(RETRY_AFTER_SECONDS, { cause: error });
        }
        if (!isUnreadableReply(error) && !(error instanceof UntrustedReadError)) throw error;
        problem = (error as Error).message;
        cause = error;
      }
      this.recordFault(`${what}: ${problem}`);
      this.resetPool(`${what}: ${problem}`);
      if (attempt >= 2) {
        if (cause && typeof cause === 'object') this.handled.add(cause);
        throw new ServiceUnavailableError(RETRY_AFTER_SECONDS, { cause });
      }
    }
  }

  /** Notes a fault seen elsewhere (the error middleware, a failed probe); unreadable replies also reset the pool. */
  noteError(error: unknown): void {
    if (error && typeof error === 'object') {
      if (this.handled.has(error)) return;
      this.handled.add(error);
    }
    if (isUnreadableReply(error) || error instanceof UntrustedReadError) {
      this.recordFault((error as Error).message);
      this.resetPool((error as Error).message);
    } else if (isDatabaseUnavailable(error)) {
      this.recordFault((error as Error).message);
    }
  }

  /**
   * Drops every connection of the pool: those in use fail their operation at once (a read of ours is then
   * tried again), idle ones are closed when next taken. The pool is not paused, so requests waiting for a
   * connection keep waiting instead of failing. mongoose 9 and driver 7 offer no public call for this
   * (pool.clear() pauses the pool and fails its wait queue; closing and reopening the client would break
   * every holder of it, the session store too), hence the driver's pool fields, checked here.
   */
  resetPool(reason: string): void {
    const client = this.connection.getClient() as unknown as { topology?: { s?: { servers?: Map<string, { pool?: DriverPool }> } } };
    const pools = [...(client.topology?.s?.servers?.values() ?? [])].map((server) => server.pool);
    if (pools.length === 0 || pools.some((pool) => typeof pool?.generation !== 'number' || !(pool.checkedOut instanceof Set))) {
      this.options.logger.error({ reason }, 'database connection pool could not be reset: driver internals changed');
      return;
    }
    for (const pool of pools as DriverPool[]) {
      const oldGeneration = pool.generation;
      // Connections of an older generation are stale: destroyed when checked in or next checked out.
      pool.generation += 1;
      for (const connection of pool.checkedOut) {
        if (connection.generation <= oldGeneration) connection.onError(new PoolResetError());
      }
    }
    this.resets += 1;
    this.options.logger.warn({ reason, resets: this.resets }, 'database connection pool reset after an untrusted reply');
  }

  private recordFault(description: string): void {
    this.lastFaultAt = this.now();
    this.lastFault = description;
    this.faults += 1;
  }

  /**
   * A round trip whose answer proves it answers this request: a find on a collection named at random, whose
   * reply names it back. A ping's `{ ok: 1 }` would be accepted from any out-of-step connection.
   */
  async probe(): Promise<{ healthy: boolean; error?: string; recentFault?: string }> {
    const db = this.connection.db;
    const name = `health_probe_${randomBytes(6).toString('hex')}`;
    let error: string | undefined;
    try {
      if (!db || this.connection.readyState !== 1) throw new Error('not connected');
      let timer: NodeJS.Timeout | undefined;
      const reply = (await Promise.race([
        db.command({ find: name, filter: {}, limit: 1 }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('probe timed out')), this.options.timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer))) as { cursor?: { ns?: unknown } };
      if (reply.cursor?.ns !== `${db.databaseName}.${name}`) {
        const wrong = new UntrustedReadError('health probe', 'the reply names another collection');
        this.noteError(wrong);
        throw wrong;
      }
    } catch (e) {
      if (!(e instanceof UntrustedReadError)) this.noteError(e);
      error = (e as Error).message;
    }
    const recent = this.now() - this.lastFaultAt < (this.options.faultWindowMs ?? FAULT_WINDOW_MS);
    return { healthy: error === undefined && !recent, ...(error ? { error } : {}), ...(recent ? { recentFault: this.lastFault } : {}) };
  }

  stats(): { faults: number; resets: number } {
    return { faults: this.faults, resets: this.resets };
  }
}

function isPoolReset(error: unknown): boolean {
  for (let e = error as { name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth += 1) {
    if (e.name === 'PoolResetError') return true;
  }
  return false;
}

/** Checks shared by the reads of several services. */
export const checks = {
  isObjectIdLike: (value: unknown): boolean => value != null && typeof value === 'object' && typeof (value as { toHexString?: unknown }).toHexString === 'function',
  isLocalized: (value: unknown): boolean =>
    value != null && typeof value === 'object' && typeof (value as Record<string, unknown>)['zh-CN'] === 'string' && typeof (value as Record<string, unknown>).en === 'string',
};
