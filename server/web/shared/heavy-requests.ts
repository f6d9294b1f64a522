/**
 * Limits how many heavy staff requests run at once. Raw exports and text answers each make one pass over a
 * survey's responses in the database (on FerretDB, over every response): a few in parallel per user and per
 * process, the rest get 429 with Retry-After at once instead of queueing behind the database.
 * Answer filters and cross-tabs read the column store in memory (services/results): they wait their turn in
 * a short queue instead (analysis), so ten planners opening a view are served one pass after another, and
 * the passes yield to votes between chunks, so voting never waits behind them.
 * While residents' votes are being stored, one heavy request runs at a time, and analysis takes at most
 * a set share of the time (after a turn of 30 ms, the next waits 90 ms at a quarter): each page still costs
 * the database a few reads and the process its rendering, and planners reloading as fast as they are
 * served would otherwise take the share of the core the votes need.
 */
import type { Request, RequestHandler, Response } from 'express';
import { RateLimitedError } from '../../errors/index.js';

export interface HeavyRequestLimits {
  perUser: number;
  perProcess: number;
  /** perProcess while votes are being stored. */
  perProcessWhileVoting: number;
  /** The share of the time queued (analysis) requests may take while votes are being stored. */
  analysisShareWhileVoting: number;
  /** What Retry-After says: about how long such a request takes. */
  retryAfterSeconds: number;
  /** Requests that may wait for a turn (queued gates only), per process and per user. */
  queuedPerProcess: number;
  queuedPerUser: number;
  /** How long a queued request waits for its turn before it gets 429. */
  maxWaitMs: number;
}

export const HEAVY_REQUEST_LIMITS: HeavyRequestLimits = { perUser: 2, perProcess: 4, perProcessWhileVoting: 1, analysisShareWhileVoting: 0.25, retryAfterSeconds: 5, queuedPerProcess: 32, queuedPerUser: 16, maxWaitMs: 10_000 };

/**
 * The longest rest after a turn: a long turn mostly waited (for the database, or for a survey's first read,
 * see ColumnStore.prepare), and a rest of three times that would make the planners queued behind it give up.
 */
const MAX_REST_MS = 1000;

/** Whether a results request makes a pass over the responses: an answer filter or a cross-tab. */
export function passesOverResponses(req: Request): boolean {
  const answer = req.query.answer;
  return (typeof answer === 'string' && answer.trim() !== '') || (typeof req.query.rows === 'string' && typeof req.query.cols === 'string');
}

interface Waiting {
  user: string;
  start(): void;
}

export class HeavyRequests {
  private running = 0;
  private readonly perUser = new Map<string, number>();
  private readonly queue: Waiting[] = [];
  private readonly queuedByUser = new Map<string, number>();
  /** While votes are being stored, no analysis starts before this (performance.now()); see analysisShareWhileVoting. */
  private restUntil = 0;
  private restTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: HeavyRequestLimits = HEAVY_REQUEST_LIMITS,
    /** Whether residents' votes are being stored now (ResponseStore.isStoring). */
    private readonly voting: () => boolean = () => false,
  ) {}

  /**
   * Middleware for routes that are heavy when `isHeavy` says so (always by default); who runs it is `who(res)`.
   * `queue`: wait for a turn (up to maxWaitMs) rather than get 429 at once.
   */
  gate(who: (res: Response) => string, isHeavy: (req: Request) => boolean = () => true, options: { queue?: boolean } = {}): RequestHandler {
    return (req, res, next) => {
      if (!isHeavy(req)) return next();
      const user = who(res);
      // Turns opened without one ending (the votes stopped) go to those already waiting first.
      this.startNext();
      if (this.mayStart(user, Boolean(options.queue))) {
        this.start(user, res);
        return next();
      }
      if (!options.queue || this.queue.length >= this.limits.queuedPerProcess || (this.queuedByUser.get(user) ?? 0) >= this.limits.queuedPerUser) {
        throw new RateLimitedError(this.limits.retryAfterSeconds, 'Too many large requests are running. Please wait a few seconds and try again.');
      }
      const waiting: Waiting = {
        user,
        start: () => {
          clearTimeout(timer);
          res.off('close', gone);
          this.start(user, res);
          next();
        },
      };
      const leave = () => {
        const index = this.queue.indexOf(waiting);
        if (index < 0) return false;
        this.queue.splice(index, 1);
        this.count(this.queuedByUser, user, -1);
        return true;
      };
      const timer = setTimeout(() => {
        if (leave()) next(new RateLimitedError(this.limits.retryAfterSeconds, 'Too many large requests are running. Please wait a few seconds and try again.'));
      }, this.limits.maxWaitMs);
      // A client that gives up leaves the queue.
      const gone = () => {
        clearTimeout(timer);
        leave();
      };
      res.once('close', gone);
      this.queue.push(waiting);
      this.count(this.queuedByUser, user, 1);
      // Nothing may be running to end a turn: the end of the rest must start it then.
      this.startNext();
    };
  }

  /** Heavy requests running now (tests). */
  get active(): number {
    return this.running;
  }

  /** Heavy requests waiting for a turn (tests). */
  get waiting(): number {
    return this.queue.length;
  }

  /** `paced`: an analysis request, which also waits out the rest while votes are being stored. */
  private mayStart(user: string, paced: boolean): boolean {
    return (this.perUser.get(user) ?? 0) < this.limits.perUser && this.running < this.turns() && !(paced && this.resting());
  }

  private resting(): boolean {
    return performance.now() < this.restUntil && this.voting();
  }

  private turns(): number {
    return this.voting() ? this.limits.perProcessWhileVoting : this.limits.perProcess;
  }

  private start(user: string, res: Response): void {
    this.running += 1;
    this.count(this.perUser, user, 1);
    const startedAt = performance.now();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (this.voting()) {
        const share = this.limits.analysisShareWhileVoting;
        const rest = Math.min(MAX_REST_MS, ((performance.now() - startedAt) * (1 - share)) / share);
        this.restUntil = Math.max(this.restUntil, performance.now() + rest);
      }
      this.running -= 1;
      this.count(this.perUser, user, -1);
      this.startNext();
    };
    // 'close' comes for every response, finished or cut off by the client; but a client that stops reading
    // and keeps its connection open delays it for as long as it likes. The heavy work is over once the
    // handler ends its answer, so the turn ends there.
    res.once('close', release);
    const end = res.end;
    res.end = function (this: Response, ...args: unknown[]) {
      release();
      return (end as (...a: unknown[]) => Response).apply(this, args);
    } as Response['end'];
  }

  /** Starts the oldest waiting requests that may run now. */
  private startNext(): void {
    // A turn that ends always starts the next waiting request (there is at least one while voting), so the
    // queue moves on, and takes the wider limit from the first turn that ends after the votes stop.
    if (this.queue.length > 0 && this.resting()) {
      this.restTimer ??= setTimeout(() => {
        this.restTimer = undefined;
        this.startNext();
      }, this.restUntil - performance.now()).unref();
      return;
    }
    for (let index = 0; index < this.queue.length && this.running < this.turns(); ) {
      const waiting = this.queue[index]!;
      if (!this.mayStart(waiting.user, true)) {
        index += 1;
        continue;
      }
      this.queue.splice(index, 1);
      this.count(this.queuedByUser, waiting.user, -1);
      waiting.start();
    }
  }

  private count(map: Map<string, number>, user: string, by: number): void {
    const next = (map.get(user) ?? 0) + by;
    if (next <= 0) map.delete(user);
    else map.set(user, next);
  }
}
