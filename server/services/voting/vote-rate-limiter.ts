/**
 * Votes per hashed client address and survey in fixed windows, counted in this process's memory. The vote
 * path must not read or write a document per vote: on FerretDB 1.24 every keyed update reads its whole
 * collection, so a counter document per resident would slow every vote as a campaign grows. One Minyi process
 * per FerretDB database counts exactly; several processes on MongoDB each count the votes they receive.
 */
import { RateLimitedError } from '../../errors/index.js';
import type { RateLimitRule } from './rate-limiter.js';

/** About 25 MB at most; past it the window starts forgetting (a resident is let through, never refused wrongly). */
const MAX_KEYS = 200_000;

export class VoteRateLimiter {
  /**
   * Windows are aligned on the clock, so every key of the current window shares its end: one map per window,
   * of votes by client within each scope (survey). Keys are kept as given (flat strings): a key built by
   * concatenation would keep every piece it was built from alive as long as the window.
   */
  private window = { endsAt: 0, size: 0, counts: new Map<string, Map<string, number>>() };

  constructor(
    private readonly rule: RateLimitRule,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /** Counts one vote of client in scope; throws RateLimitedError (429 with Retry-After) once the window's limit is reached. */
  hit(scope: string, client: string, now = Date.now()): void {
    if (this.rule.limit <= 0) return;
    this.deleteExpired(now);
    const window = this.window;
    let clients = window.counts.get(scope);
    if (!clients) window.counts.set(scope, (clients = new Map()));
    const count = clients.get(client) ?? 0;
    if (count >= this.rule.limit) throw new RateLimitedError((window.endsAt - now) / 1000);
    if (count === 0) {
      if (window.size >= this.maxKeys) this.forgetOldest();
      else window.size += 1;
    }
    clients.set(client, count + 1);
  }

  private forgetOldest(): void {
    for (const clients of this.window.counts.values()) {
      const oldest = clients.keys().next();
      if (!oldest.done) return void clients.delete(oldest.value);
    }
  }

  /** Starts a new window once the current one has ended. */
  deleteExpired(now = Date.now()): void {
    if (now < this.window.endsAt) return;
    const windowMs = this.rule.windowSeconds * 1000;
    this.window = { endsAt: Math.floor(now / windowMs) * windowMs + windowMs, size: 0, counts: new Map() };
  }

  clear(): void {
    this.window = { endsAt: 0, size: 0, counts: new Map() };
  }
}
