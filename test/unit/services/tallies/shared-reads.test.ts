import { describe, expect, it } from 'vitest';
import { SharedReads } from '../../../../server/services/tallies/shared-reads.js';

/** A read whose answer the test gives when it chooses. */
function controlledReads() {
  const started: Array<{ answer(value: number): void; fail(error: Error): void }> = [];
  const run = () =>
    new Promise<number>((resolve, reject) => {
      started.push({ answer: resolve, fail: reject });
    });
  return { started, run };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SharedReads', () => {
  it('gives callers who arrive during a read the next read, shared, never the one that began before them', async () => {
    const reads = new SharedReads<number>();
    const { started, run } = controlledReads();
    const first = reads.read('survey', run);
    const during = Array.from({ length: 9 }, () => reads.read('survey', run));
    expect(started).toHaveLength(1);
    started[0]!.answer(1);
    expect(await first).toBe(1);
    await settle();
    expect(started).toHaveLength(2);
    started[1]!.answer(2);
    expect(await Promise.all(during)).toEqual(Array(9).fill(2));
  });

  it('keeps keys apart, and a failed read fails only its own callers', async () => {
    const reads = new SharedReads<number>();
    const { started, run } = controlledReads();
    const a = reads.read('a', run);
    const b = reads.read('b', run);
    const afterA = reads.read('a', run);
    expect(started).toHaveLength(2);
    started[0]!.fail(new Error('cut connection'));
    started[1]!.answer(7);
    await expect(a).rejects.toThrow('cut connection');
    expect(await b).toBe(7);
    await settle();
    started[2]!.answer(3);
    expect(await afterA).toBe(3);
    await settle();
    // Nothing left running: the next caller starts a read of its own at once.
    const later = reads.read('a', run);
    expect(started).toHaveLength(4);
    started[3]!.answer(4);
    expect(await later).toBe(4);
  });
});
