/**
 * Votes per hashed client address and survey over a rolling window, counted in this process's memory. The
 * vote path must not read or write a document per vote: on FerretDB 1.24 every keyed update reads its whole
 * collection, so a counter document per resident would slow every vote as a campaign grows. One Minyi process
 * per FerretDB database counts exactly; several processes on MongoDB each count the votes they receive.
 *
 * Rolling, not fixed: the count is the current clock-aligned window's plus the previous window's weighted by
 * how much of it still lies within the last `windowSeconds` (the usual sliding-window counter). A fixed window
 * let a client send `limit` votes just before a boundary and `limit` more just after it.
 *
 * IPv6: a client is its /56 (client-address.ts); a /48, what one site or tunnel customer often gets, holds 256
 * of them, so votes are also counted per /48 with SITE_FACTOR times the limit. Far below 256 times, so
 * hopping through the /56s of one /48 gains little; above 1, so neighbours on a carrier sharing a /48 are not
 * refused for one another.
 */
import { RateLimitedError } from '../../errors/index.js';
import type { RateLimitRule } from './rate-limiter.js';

/** About 25 MB at most; past it a window starts forgetting (a resident is let through, never refused wrongly). */
const MAX_KEYS = 200_000;
/** A /48's allowance, in multiples of a client's. */
export const SITE_FACTOR = 4;

interface Window {
  start: number;
  size: number;
  /** Votes by key within each scope (survey). Keys are kept as given: flat strings pin nothing else. */
  counts: Map<string, Map<string, number>>;
}

const emptyWindow = (start: number): Window => ({ start, size: 0, counts: new Map() });

export class VoteRateLimiter {
  private current = emptyWindow(0);
  private previous = emptyWindow(-1);

  constructor(
    private readonly rule: RateLimitRule,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /**
   * Counts one vote of client (and of its IPv6 /48 `site`, when given) in scope; throws RateLimitedError (429
   * with Retry-After) when the rolling count has reached the limit. A refused vote is not counted.
   */
  hit(scope: string, client: string, now = Date.now(), site?: string): void {
    if (this.rule.limit <= 0) return;
    this.deleteExpired(now);
    const keys: Array<[string, number]> = [[client, this.rule.limit]];
    if (site) keys.push([`site:${site}`, this.rule.limit * SITE_FACTOR]);
    let wait = 0;
    for (const [key, limit] of keys) wait = Math.max(wait, this.waitFor(scope, key, limit, now));
    if (wait > 0) throw new RateLimitedError(wait);
    for (const [key] of keys) this.add(scope, key);
  }

  /** Seconds until key may vote again in scope; 0 when it may now. */
  private waitFor(scope: string, key: string, limit: number, now: number): number {
    const windowMs = this.rule.windowSeconds * 1000;
    const current = this.current.counts.get(scope)?.get(key) ?? 0;
    const previous = this.previous.counts.get(scope)?.get(key) ?? 0;
    const elapsed = now - this.current.start;
    const rolling = previous * (1 - elapsed / windowMs) + current;
    if (rolling + 1 <= limit) return 0;
    // When the previous window's share has shrunk enough, or (this window's votes alone being too many) when
    // this window's share in the next has.
    const ms = current + 1 <= limit
      ? windowMs * (1 - (limit - 1 - current) / previous) - elapsed
      : windowMs - elapsed + windowMs * (1 - (limit - 1) / current);
    return Math.max(1, Math.ceil(ms / 1000));
  }

  private add(scope: string, key: string): void {
    const window = this.current;
    let keys = window.counts.get(scope);
    if (!keys) window.counts.set(scope, (keys = new Map()));
    const count = keys.get(key) ?? 0;
    if (count === 0) {
      if (window.size >= this.maxKeys) this.forgetOldest();
      else window.size += 1;
    }
    keys.set(key, count + 1);
  }

  private forgetOldest(): void {
    for (const keys of this.current.counts.values()) {
      const oldest = keys.keys().next();
      if (!oldest.done) return void keys.delete(oldest.value);
    }
  }

  /** Moves on to the window of now: the current one becomes the previous, or both are dropped after a gap. */
  deleteExpired(now = Date.now()): void {
    const windowMs = this.rule.windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    if (start === this.current.start) return;
    this.previous = start - this.current.start === windowMs ? this.current : emptyWindow(start - windowMs);
    this.current = emptyWindow(start);
  }

  clear(): void {
    this.current = emptyWindow(0);
    this.previous = emptyWindow(-1);
  }
}
