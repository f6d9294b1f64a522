/**
 * Limits how many heavy staff requests run at once: raw exports, text answers, cross-tabs and dashboards
 * filtered by an answer each make one pass over a survey's responses (on FerretDB, over every response).
 * A few in parallel per user and per process keep one impatient planner or a script with an API token from
 * starving everyone else; the rest get 429 with Retry-After at once instead of queueing behind the database.
 */
import type { Request, RequestHandler, Response } from 'express';
import { RateLimitedError } from '../../errors/index.js';

export interface HeavyRequestLimits {
  perUser: number;
  perProcess: number;
  /** What Retry-After says: about how long such a request takes. */
  retryAfterSeconds: number;
}

export const HEAVY_REQUEST_LIMITS: HeavyRequestLimits = { perUser: 2, perProcess: 4, retryAfterSeconds: 5 };

/** Whether a results request makes a pass over the responses: an answer filter or a cross-tab. */
export function passesOverResponses(req: Request): boolean {
  const answer = req.query.answer;
  return (typeof answer === 'string' && answer.trim() !== '') || (typeof req.query.rows === 'string' && typeof req.query.cols === 'string');
}

export class HeavyRequests {
  private running = 0;
  private readonly perUser = new Map<string, number>();

  constructor(private readonly limits: HeavyRequestLimits = HEAVY_REQUEST_LIMITS) {}

  /** Middleware for routes that are heavy when `isHeavy` says so (always by default); who runs it is `who(res)`. */
  gate(who: (res: Response) => string, isHeavy: (req: Request) => boolean = () => true): RequestHandler {
    return (req, res, next) => {
      if (!isHeavy(req)) return next();
      const user = who(res);
      const mine = this.perUser.get(user) ?? 0;
      if (mine >= this.limits.perUser || this.running >= this.limits.perProcess) {
        throw new RateLimitedError(this.limits.retryAfterSeconds, 'Too many large requests are running. Please wait a few seconds and try again.');
      }
      this.running += 1;
      this.perUser.set(user, mine + 1);
      let released = false;
      // 'close' comes for every response, finished or cut off by the client.
      res.once('close', () => {
        if (released) return;
        released = true;
        this.running -= 1;
        const left = (this.perUser.get(user) ?? 1) - 1;
        if (left <= 0) this.perUser.delete(user);
        else this.perUser.set(user, left);
      });
      next();
    };
  }

  /** Heavy requests running now (tests). */
  get active(): number {
    return this.running;
  }
}
