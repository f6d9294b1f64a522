import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { HeavyRequests } from '../../../server/web/shared/heavy-requests.js';

const limits = { perUser: 1, perProcess: 2, retryAfterSeconds: 1, queuedPerProcess: 2, queuedPerUser: 2, maxWaitMs: 50 };

/** Runs the gate for `who`; resolves with what next() got (undefined: may run) or rejects with what it threw. */
function enter(heavy: HeavyRequests, who: string, res = new EventEmitter()): { res: EventEmitter; done: Promise<unknown> } {
  const done = new Promise<unknown>((resolve, reject) => {
    try {
      heavy.gate(() => who, () => true, { queue: true })({} as never, res as never, (error?: unknown) => resolve(error));
    } catch (error) {
      reject(error);
    }
  });
  return { res, done };
}

describe('HeavyRequests queue', () => {
  it('starts queued requests in order as turns free up, and refuses past the queue or the wait', async () => {
    const heavy = new HeavyRequests(limits);
    const a1 = enter(heavy, 'a');
    const b1 = enter(heavy, 'b');
    await expect(a1.done).resolves.toBeUndefined();
    await expect(b1.done).resolves.toBeUndefined();
    const a2 = enter(heavy, 'a');
    const c1 = enter(heavy, 'c');
    expect(heavy.waiting).toBe(2);
    // The queue is full: refused at once.
    await expect(enter(heavy, 'd').done).rejects.toMatchObject({ status: 429 });
    // b's turn ends: a may not run two at once, so c (queued later) starts first.
    b1.res.emit('close');
    await expect(c1.done).resolves.toBeUndefined();
    expect(heavy.waiting).toBe(1);
    a1.res.emit('close');
    await expect(a2.done).resolves.toBeUndefined();
    // Nothing frees up within maxWaitMs: 429.
    const late = enter(heavy, 'e');
    await expect(late.done).resolves.toMatchObject({ status: 429 });
    expect(heavy.waiting).toBe(0);
    for (const r of [a2, c1]) r.res.emit('close');
    expect(heavy.active).toBe(0);
  });
});

describe('HeavyRequests turns', () => {
  it('end when the handler ends its answer, not when a client that stopped reading lets the connection close', async () => {
    const heavy = new HeavyRequests(limits);
    /** A response whose client never reads: 'close' never comes. */
    const unread = () => Object.assign(new EventEmitter(), { end() {} });
    const a = enter(heavy, 'a', unread());
    const b = enter(heavy, 'b', unread());
    await Promise.all([a.done, b.done]);
    const c = enter(heavy, 'c');
    expect(heavy.waiting).toBe(1);
    (a.res as unknown as { end(): void }).end();
    await expect(c.done).resolves.toBeUndefined();
    (b.res as unknown as { end(): void }).end();
    // Ending twice, or ending and then closing, gives the turn back once.
    (b.res as unknown as { end(): void }).end();
    b.res.emit('close');
    c.res.emit('close');
    expect(heavy.active).toBe(0);
  });
});
