import { Schema, type Types } from 'mongoose';
import type { CounterTree } from './tally.model.js';

/**
 * Batches folded into a snapshot: for each writer, sorted disjoint ranges of its seq numbers, flattened as
 * [first, last, first, last, …] (FerretDB stores no arrays inside arrays).
 */
export type FoldedBatches = Record<string, number[]>;

/**
 * One version of a survey's tally (`day` null) or of one day's slice. Never changed once written: the next
 * version is a new document whose `_id` ends in the next number, so two processes folding at once cannot
 * both write it, and a reader may keep a version it has read for as long as it likes.
 */
export interface TallySnapshot {
  /** `${counterKey}#${version}`. */
  _id: string;
  /** Which counters: see counterKey(). */
  key: string;
  survey: Types.ObjectId;
  day: string | null;
  version: number;
  /** JSON text of the counters (see packed-counters.ts); a tree in documents of earlier versions. */
  counters: string | CounterTree;
  folded: FoldedBatches;
  at: Date;
  /**
   * Set, and counters and folded emptied, once two newer versions exist. The document itself stays a while
   * (see TallyService) so that a fold too slow to know of the newer versions cannot write this version anew.
   */
  retiredAt: Date | null;
}

export const tallySnapshotSchema = new Schema<TallySnapshot>(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    day: { type: String, default: null },
    version: { type: Number, required: true },
    counters: { type: Schema.Types.Mixed, default: {} },
    folded: { type: Schema.Types.Mixed, default: {} },
    at: { type: Date, required: true },
    retiredAt: { type: Date, default: null },
  },
  { strict: 'throw', minimize: false, versionKey: false },
);
tallySnapshotSchema.index({ survey: 1 });

/**
 * Tallies and day slices are kept in collections of their own (same schema): FerretDB reads a whole
 * collection even for a lookup by `_id`, and a survey's tally is read far more often than its many slices.
 */
export const TALLY_SNAPSHOTS = 'tally_snapshots';
export const SLICE_SNAPSHOTS = 'slice_snapshots';

/**
 * The newest version of a counter key that someone has written, as a hint: raised with $max after each new
 * version, so a lost update (FerretDB does not isolate them) only makes readers look a version further.
 */
export interface TallyHead {
  _id: string;
  survey: Types.ObjectId;
  version: number;
}

export const tallyHeadSchema = new Schema<TallyHead>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    version: { type: Number, required: true },
  },
  { strict: 'throw', versionKey: false, collection: 'tally_heads' },
);

/** The key of a survey's tally (no day) or of one day's slice. */
export function counterKey(survey: unknown, day: string | null = null): string {
  return day === null ? `${String(survey)}` : `${String(survey)}/${day}`;
}

export function snapshotId(key: string, version: number): string {
  return `${key}#${version}`;
}
