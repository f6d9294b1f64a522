import { Schema, type Types } from 'mongoose';
import type { QuestionTally } from './tally.model.js';

/** The counts of the responses of one (district, channel) pair on one day. */
export interface SliceCell {
  total: number;
  questions: Record<string, QuestionTally>;
}

/**
 * One survey's counts for one calendar day, split by district and channel, so a dashboard filtered by date,
 * district or channel adds up a few documents instead of scanning responses. Written by the
 * TallyWriter with the same batches as the survey's tally; lastBatch plays the same role as there.
 */
export interface TallySlice {
  /** `${surveyId}/${day}`, see sliceId(). */
  _id: string;
  survey: Types.ObjectId;
  day: string;
  /** Keyed by cellKey(district, channel). */
  cells: Record<string, SliceCell>;
  lastBatch: Record<string, string[]>;
}

export const tallySliceSchema = new Schema<TallySlice>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    day: { type: String, required: true },
    cells: { type: Schema.Types.Mixed, default: {} },
    lastBatch: { type: Schema.Types.Mixed, default: {} },
  },
  { strict: 'throw', minimize: false, versionKey: false },
);
tallySliceSchema.index({ survey: 1, day: 1 });
