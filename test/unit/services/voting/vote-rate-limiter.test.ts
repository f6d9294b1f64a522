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
  it('lets `limit` votes through per key and rolling window, then answers 429 with the seconds until the next may pass', () => {
    const limiter = new VoteRateLimiter({ limit: 3, windowSeconds: 600 });
    const start = 1_800_000_000_000; // a window boundary: 600 s divides it
    for (let i = 0; i < 3; i += 1) limiter.hit('survey', 'a', start + i);
    const error = refusal(limiter, 'a', start + 60_000);
    expect(error).toBeInstanceOf(RateLimitedError);
    // The three votes count fully until the window ends, then fade out over the next one (taken as spread
    // evenly over their window): one more fits once a third of them has faded, 200 s into the next window (740 s from now).
    expect((error as RateLimitedError).headers).toEqual({ 'Retry-After': '740' });
    expect(refusal(limiter, 'b', start + 60_000)).toBeUndefined();
    // Another survey counts for itself.
    expect(() => limiter.hit('other survey', 'a', start + 60_000)).not.toThrow();
    expect(refusal(limiter, 'a', start + 600_000)).toBeInstanceOf(RateLimitedError);
    expect(refusal(limiter, 'a', start + 799_000)).toBeInstanceOf(RateLimitedError);
    expect(refusal(limiter, 'a', start + 800_000)).toBeUndefined();
    // A window later with no votes between, the client starts from zero.
    const later = start + 3 * 600_000;
    for (let i = 0; i < 3; i += 1) expect(refusal(limiter, 'b', later + i)).toBeUndefined();
  });

  it('refuses a burst across a window boundary: `limit` votes just before it leave no room just after', () => {
    const limiter = new VoteRateLimiter({ limit: 10, windowSeconds: 600 });
    const boundary = 1_800_000_000_000;
    for (let i = 0; i < 10; i += 1) limiter.hit('survey', 'a', boundary - 1000 + i);
    let passed = 0;
    for (let i = 0; i < 10; i += 1) if (!refusal(limiter, 'a', boundary + 1000 + i)) passed += 1;
    expect(passed).toBe(0);
    // Half a window on, half the earlier votes have faded: room for five.
    for (let i = 0; i < 10; i += 1) if (!refusal(limiter, 'a', boundary + 300_000 + i)) passed += 1;
    expect(passed).toBe(5);
  });

  it('counts the /56s of one IPv6 /48 together, with four times the limit', () => {
    const limiter = new VoteRateLimiter({ limit: 2, windowSeconds: 600 });
    const now = 1_800_000_000_000;
    let passed = 0;
    // 16 different /56s of one /48, each under its own limit: the /48 lets 8 votes through.
    for (let i = 0; i < 16; i += 1) {
      try {
        limiter.hit('survey', `client-${i}`, now, 'site-A');
        limiter.hit('survey', `client-${i}`, now, 'site-A');
        passed += 2;
      } catch (error) {
        expect(error).toBeInstanceOf(RateLimitedError);
      }
    }
    expect(passed).toBe(8);
    // Another /48, and IPv4 clients (no site), are not held back by it.
    expect(() => limiter.hit('survey', 'client-x', now, 'site-B')).not.toThrow();
    expect(() => limiter.hit('survey', 'client-y', now)).not.toThrow();
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
