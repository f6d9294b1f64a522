/**
 * Fixed-window limits in the database, shared by every Minyi process. Each counted attempt inserts one
 * slot document (`<key>:<window>:<n>`, n = 1..limit): a unique-key insert is atomic on every database,
 * FerretDB included, so two concurrent requests can never both take slot n, and N parallel attempts get at
 * most `limit` slots. (A `$inc` on one counter would not do: FerretDB loses concurrent updates.) Old windows
 * are deleted periodically, as FerretDB has no TTL indexes.
 */
import type { Models } from '../../models/index.js';
import { isDuplicateKey } from '../../db/keyed-writes.js';

export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

/** A slot taken in a window (keep its id to give it back), or the seconds until the window ends. */
export type SlotResult = { ok: true; slotId: string } | { ok: false; retryAfterSeconds: number };

/** Hints kept per key; a forgotten hint only costs a few more inserts. */
const MAX_HINTS = 10_000;

export class RateLimiter {
  /** Per key and window, the lowest slot this process has not seen taken: saves inserts bound to fail. */
  private readonly nextSlot = new Map<string, number>();

  constructor(private readonly models: Models) {}

  /** Takes the next free slot of key's current window, or says how long until the window ends. */
  async take(key: string, rule: RateLimitRule, now = Date.now()): Promise<SlotResult> {
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const windowKey = `${key}:${windowStart}`;
    const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
    for (let n = this.nextSlot.get(windowKey) ?? 1; n <= rule.limit; n += 1) {
      const slotId = `${windowKey}:${n}`;
      try {
        await this.models.RateLimit.collection.insertOne({ _id: slotId as never, count: 1, expiresAt: new Date(windowStart + windowMs) });
        this.remember(windowKey, n + 1);
        return { ok: true, slotId };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        this.remember(windowKey, n + 1);
      }
    }
    return { ok: false, retryAfterSeconds };
  }

  /**
   * Gives a slot back (a sign-in that succeeded is not a failure to count). The slot can be taken again by
   * anyone; this process's hint is lowered so that it tries it.
   */
  async release(slotId: string): Promise<void> {
    await this.models.RateLimit.deleteOne({ _id: slotId });
    const windowKey = slotId.slice(0, slotId.lastIndexOf(':'));
    const n = Number(slotId.slice(slotId.lastIndexOf(':') + 1));
    if ((this.nextSlot.get(windowKey) ?? 1) > n) this.nextSlot.set(windowKey, n);
  }

  /** Marks a one-off event of key's window (e.g. "already audited"): true only for the first caller. */
  async once(key: string, rule: RateLimitRule, now = Date.now()): Promise<boolean> {
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    try {
      await this.models.RateLimit.collection.insertOne({ _id: `${key}:${windowStart}:once` as never, count: 1, expiresAt: new Date(windowStart + windowMs) });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  private remember(windowKey: string, next: number): void {
    if ((this.nextSlot.get(windowKey) ?? 1) >= next) return;
    this.nextSlot.delete(windowKey);
    if (this.nextSlot.size >= MAX_HINTS) this.nextSlot.delete(this.nextSlot.keys().next().value!);
    this.nextSlot.set(windowKey, next);
  }

  /** Forgets the hints (tests that empty the database). */
  clear(): void {
    this.nextSlot.clear();
  }

  async deleteExpired(now = new Date()): Promise<number> {
    const result = await this.models.RateLimit.deleteMany({ expiresAt: { $lte: now } });
    for (const windowKey of this.nextSlot.keys()) {
      const windowStart = Number(windowKey.slice(windowKey.lastIndexOf(':') + 1));
      // Hints are only useful within their window; a day is longer than any window Minyi uses.
      if (windowStart < now.getTime() - 86_400_000) this.nextSlot.delete(windowKey);
    }
    return result.deletedCount;
  }
}
