import { Schema, type Types } from 'mongoose';
import type { CounterTree } from './tally.model.js';

/**
 * What one batch of stored votes (or of vote-check events) adds to its survey's counts. Inserted once under
 * the batch's own id, so a retry whose first attempt landed gets a duplicate-key error and is known to be
 * counted: the one write that FerretDB 1.24 makes atomic. Folded into the survey's snapshots, then deleted.
 */
export interface TallyDelta {
  /** `${survey}.${writer}.${seq}`: the batch, see deltaId(). */
  _id: string;
  survey: Types.ObjectId;
  writer: string;
  /** Numbers the writer's batches of this survey 1, 2, 3…, so a snapshot records what it folded as ranges. */
  seq: number;
  votes: number;
  /** Adds to the survey's tally: JSON text of the counters (see packed-counters.ts), a tree in earlier versions. */
  tally: string | CounterTree;
  /** Adds to the slice of each day: JSON text of the counters by day, a record of trees in earlier versions. */
  slices: string | Record<string, CounterTree>;
  at: Date;
}

export const tallyDeltaSchema = new Schema<TallyDelta>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    writer: { type: String, required: true },
    seq: { type: Number, required: true },
    votes: { type: Number, required: true },
    tally: { type: Schema.Types.Mixed, default: {} },
    slices: { type: Schema.Types.Mixed, default: {} },
    at: { type: Date, required: true },
  },
  { strict: 'throw', minimize: false, versionKey: false, collection: 'tally_deltas' },
);
tallyDeltaSchema.index({ survey: 1 });

export function deltaId(survey: unknown, writer: string, seq: number): string {
  return `${String(survey)}.${writer}.${seq}`;
}
