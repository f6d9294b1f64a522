import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { HeavyRequests } from '../../../server/web/shared/heavy-requests.js';

const limits = { perUser: 1, perProcess: 2, perProcessWhileVoting: 1, analysisShareWhileVoting: 1, retryAfterSeconds: 1, queuedPerProcess: 2, queuedPerUser: 2, maxWaitMs: 50 };

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

describe('HeavyRequests while residents vote', () => {
  it('run one at a time while votes are being stored, and widen again once they are not', async () => {
    let voting = true;
    const heavy = new HeavyRequests({ ...limits, queuedPerProcess: 4, maxWaitMs: 1000 }, () => voting);
    const a = enter(heavy, 'a');
    await expect(a.done).resolves.toBeUndefined();
    const b = enter(heavy, 'b');
    const c = enter(heavy, 'c');
    expect(heavy.active).toBe(1);
    expect(heavy.waiting).toBe(2);
    // A turn ends during voting: the next one starts, and still only one runs.
    a.res.emit('close');
    await expect(b.done).resolves.toBeUndefined();
    expect([heavy.active, heavy.waiting]).toEqual([1, 1]);
    // The votes stop: the turn that opens goes to c, who waited, before d, who just came.
    voting = false;
    const d = enter(heavy, 'd');
    await expect(c.done).resolves.toBeUndefined();
    expect([heavy.active, heavy.waiting]).toEqual([2, 1]);
    b.res.emit('close');
    await expect(d.done).resolves.toBeUndefined();
    for (const r of [c, d]) r.res.emit('close');
    expect(heavy.active).toBe(0);
  });
});

describe('HeavyRequests pacing while residents vote', () => {
  it('rests analysis after each turn so it takes at most its share of the time, but never holds an export', async () => {
    let voting = true;
    const heavy = new HeavyRequests({ ...limits, perUser: 2, queuedPerProcess: 4, maxWaitMs: 5000, analysisShareWhileVoting: 0.5 }, () => voting);
    const a = enter(heavy, 'a');
    await a.done;
    const heldFrom = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 60));
    const b = enter(heavy, 'b');
    const held = performance.now() - heldFrom;
    a.res.emit('close');
    const closedAt = performance.now();
    // At half the time, a turn of `held` ms is followed by as long a rest.
    await b.done;
    expect(performance.now() - closedAt).toBeGreaterThanOrEqual(held - 1);
    // An export (no queue) is never held by the rest: it gets the free turn or 429 at once.
    b.res.emit('close');
    const exported = new Promise<unknown>((resolve) => heavy.gate(() => 'c')({} as never, new EventEmitter() as never, (error?: unknown) => resolve(error)));
    await expect(exported).resolves.toBeUndefined();
    // Once the votes stop, nothing rests.
    voting = false;
    const d = enter(heavy, 'd');
    await expect(d.done).resolves.toBeUndefined();
  });
});

describe('HeavyRequests rest after a turn', () => {
  it('is three times the turn at a quarter share, and at most a second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const heavy = new HeavyRequests({ ...limits, perUser: 2, queuedPerProcess: 4, maxWaitMs: 60_000, analysisShareWhileVoting: 0.25 }, () => true);
      let started = '';
      const turn = (who: string) => {
        const res = new EventEmitter();
        heavy.gate(() => who, () => true, { queue: true })({} as never, res as never, () => (started += who));
        return res;
      };
      const a = turn('a');
      vi.advanceTimersByTime(100);
      const b = turn('b');
      a.emit('close');
      vi.advanceTimersByTime(299);
      expect(started).toBe('a');
      vi.advanceTimersByTime(2);
      expect(started).toBe('ab');
      // A turn of 2 s (it waited for the database): a rest of 1 s, not 6.
      vi.advanceTimersByTime(2000);
      const c = turn('c');
      b.emit('close');
      vi.advanceTimersByTime(999);
      expect(started).toBe('ab');
      vi.advanceTimersByTime(2);
      expect(started).toBe('abc');
      // One that comes during a rest, with no turn running to end, starts when the rest is over.
      vi.advanceTimersByTime(100);
      c.emit('close');
      vi.advanceTimersByTime(100);
      turn('d');
      vi.advanceTimersByTime(190);
      expect(started).toBe('abc');
      // c began up to 2 ms before the advance that started it ended: its rest is 300–306 ms.
      vi.advanceTimersByTime(20);
      expect(started).toBe('abcd');
    } finally {
      vi.useRealTimers();
    }
  });
});
