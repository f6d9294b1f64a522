/**
 * The batches a snapshot has folded, as ranges of each writer's seq numbers. A writer numbers its batches of
 * one survey 1, 2, 3…, so a survey's tally usually records one range per writer however many votes it
 * counts, and a delta that shows up again (a retried insert that landed after its first copy was folded and
 * deleted) is recognised and skipped.
 */
import type { FoldedBatches } from '../../models/tally-snapshot.model.js';

export interface BatchRef {
  writer: string;
  seq: number;
}

export function isFolded(folded: FoldedBatches, batch: BatchRef): boolean {
  const ranges = folded[batch.writer] ?? [];
  for (let i = 0; i + 1 < ranges.length; i += 2) if (batch.seq >= ranges[i]! && batch.seq <= ranges[i + 1]!) return true;
  return false;
}

/** A new record with the batches added; the one given is left unchanged (snapshots are immutable). */
export function withFolded(folded: FoldedBatches, batches: readonly BatchRef[]): FoldedBatches {
  const seqsByWriter = new Map<string, number[]>();
  for (const { writer, seq } of batches) seqsByWriter.set(writer, [...(seqsByWriter.get(writer) ?? []), seq]);
  const result: FoldedBatches = { ...folded };
  for (const [writer, seqs] of seqsByWriter) {
    const flat = folded[writer] ?? [];
    const ranges: Array<[number, number]> = seqs.map((seq) => [seq, seq]);
    for (let i = 0; i + 1 < flat.length; i += 2) ranges.push([flat[i]!, flat[i + 1]!]);
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [first, last] of ranges) {
      const previous = merged[merged.length - 1];
      if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
      else merged.push([first, last]);
    }
    result[writer] = merged.flat();
  }
  return result;
}
