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
  counters: CounterTree;
  folded: FoldedBatches;
  at: Date;
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
  },
  { strict: 'throw', minimize: false, versionKey: false, collection: 'tally_snapshots' },
);
tallySnapshotSchema.index({ survey: 1 });

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
