/**
 * Votes per hashed client address and survey in fixed windows, counted in this process's memory. The vote
 * path must not read or write a document per vote: on FerretDB 1.24 every keyed update reads its whole
 * collection, so a counter document per resident would slow every vote as a campaign grows. One Minyi process
 * per FerretDB database counts exactly; several processes on MongoDB each count the votes they receive.
 */
import { RateLimitedError } from '../../errors/index.js';
import type { RateLimitRule } from './rate-limiter.js';

/** About 40 MB at most; past it the oldest windows are forgotten (a resident is let through, never refused wrongly). */
const MAX_KEYS = 200_000;

export class VoteRateLimiter {
  /** In order of window start, so the expired entries are always at the front. */
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly rule: RateLimitRule,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /** Counts one vote for key; throws RateLimitedError (429 with Retry-After) once the window's limit is reached. */
  hit(key: string, now = Date.now()): void {
    if (this.rule.limit <= 0) return;
    let entry = this.windows.get(key);
    if (!entry || entry.endsAt <= now) {
      const windowMs = this.rule.windowSeconds * 1000;
      this.windows.delete(key);
      this.deleteExpired(now);
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      entry = { count: 0, endsAt: Math.floor(now / windowMs) * windowMs + windowMs };
      this.windows.set(key, entry);
    }
    if (entry.count >= this.rule.limit) throw new RateLimitedError((entry.endsAt - now) / 1000);
    entry.count += 1;
  }

  deleteExpired(now = Date.now()): void {
    for (const [key, entry] of this.windows) {
      if (entry.endsAt > now) break;
      this.windows.delete(key);
    }
  }

  clear(): void {
    this.windows.clear();
  }
}
