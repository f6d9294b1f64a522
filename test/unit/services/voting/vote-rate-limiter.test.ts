import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../../../server/errors/index.js';
import { VoteRateLimiter } from '../../../../server/services/voting/vote-rate-limiter.js';

const refusal = (limiter: VoteRateLimiter, key: string, now: number) => {
  try {
    limiter.hit('survey', key, now);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('VoteRateLimiter', () => {
  it('lets `limit` votes through per key and window, then answers 429 with the seconds left in the window', () => {
    const limiter = new VoteRateLimiter({ limit: 3, windowSeconds: 600 });
    const start = 1_800_000_000_000; // a window boundary: 600 s divides it
    for (let i = 0; i < 3; i += 1) limiter.hit('survey', 'a', start + i);
    const error = refusal(limiter, 'a', start + 60_000);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).headers).toEqual({ 'Retry-After': '540' });
    expect(refusal(limiter, 'b', start + 60_000)).toBeUndefined();
    // Another survey counts for itself.
    expect(() => limiter.hit('other survey', 'a', start + 60_000)).not.toThrow();
    // The next window starts from zero.
    expect(refusal(limiter, 'a', start + 600_000)).toBeUndefined();
  });

  it('forgets the oldest addresses past its size instead of growing, and never refuses a new one', () => {
    const limiter = new VoteRateLimiter({ limit: 1, windowSeconds: 600 }, 100);
    const now = 1_800_000_000_000;
    for (let i = 0; i < 150; i += 1) limiter.hit('survey', `k${i}`, now);
    expect(refusal(limiter, 'k149', now)).toBeInstanceOf(RateLimitedError);
    expect(refusal(limiter, 'k0', now)).toBeUndefined();
  });

  it('is off with a limit of 0', () => {
    const limiter = new VoteRateLimiter({ limit: 0, windowSeconds: 600 });
    for (let i = 0; i < 100; i += 1) expect(refusal(limiter, 'a', Date.now())).toBeUndefined();
  });
});
