/** Fixed-window counters in the database, shared by every Minyi process on MongoDB; old windows are deleted periodically. */
import type { Models } from '../../models/index.js';
import { RateLimitedError } from '../../errors/index.js';
import { KeyedSerializer } from './keyed-serializer.js';

export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

export class RateLimiter {
  private readonly serializer = new KeyedSerializer();

  constructor(private readonly models: Models) {}

  /** Counts one hit for key; throws RateLimitedError (429 with Retry-After) once the window's limit is passed. */
  async hit(key: string, rule: RateLimitRule, now = Date.now()): Promise<void> {
    if (rule.limit <= 0) return;
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const id = `${key}:${windowStart}`;
    const entry = await this.serializer.run(id, () =>
      this.models.RateLimit.findOneAndUpdate(
        { _id: id },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date(windowStart + windowMs) } },
        { upsert: true, returnDocument: 'after', lean: true },
      ),
    );
    if (entry && entry.count > rule.limit) throw new RateLimitedError((windowStart + windowMs - now) / 1000);
  }

  /** How many hits key has in the current window (for login throttling decisions). */
  async count(key: string, rule: RateLimitRule, now = Date.now()): Promise<number> {
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const entry = await this.models.RateLimit.findById(`${key}:${windowStart}`).lean();
    return entry?.count ?? 0;
  }

  async deleteExpired(now = new Date()): Promise<number> {
    const result = await this.models.RateLimit.deleteMany({ expiresAt: { $lte: now } });
    return result.deletedCount;
  }
}
