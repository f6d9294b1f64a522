import { Schema, type Types } from 'mongoose';

/** Counters for one question: per option (choice, district, yes/no, rating value) and, for rankings, per rank. */
export interface QuestionTally {
  answered: number;
  options: Record<string, number>;
  /** ranks[optionId][rank] = how many residents put that item at that rank (1 = first). */
  ranks?: Record<string, Record<string, number>>;
}

/** How the vote path ended, per survey, for the integrity panel of the dashboard. */
export interface IntegrityCounters {
  accepted: number;
  duplicate: number;
  rateLimited: number;
  refused: number;
  invalid: number;
}

/**
 * One document per survey, so a dashboard never scans responses. Updated only through the TallyWriter,
 * which merges concurrent votes into one $inc per batch. lastBatch[writerId] holds the response ids of
 * each writer's latest batch: after a crash it tells which votes still marked pending (TallyPending) are
 * already in the counts, so every vote is counted exactly once without a transaction.
 */
export interface Tally {
  _id: Types.ObjectId;
  survey: Types.ObjectId;
  total: number;
  byDay: Record<string, number>;
  byDistrict: Record<string, number>;
  byChannel: Record<string, number>;
  questions: Record<string, QuestionTally>;
  integrity: IntegrityCounters;
  lastBatch: Record<string, string[]>;
  /** True when every response is also counted in the survey's day slices (tallies made before slices were kept are not). */
  sliced: boolean;
}

export const tallySchema = new Schema<Tally>(
  {
    survey: { type: Schema.Types.ObjectId, required: true },
    total: { type: Number, default: 0 },
    byDay: { type: Schema.Types.Mixed, default: {} },
    byDistrict: { type: Schema.Types.Mixed, default: {} },
    byChannel: { type: Schema.Types.Mixed, default: {} },
    questions: { type: Schema.Types.Mixed, default: {} },
    integrity: { type: Schema.Types.Mixed, default: {} },
    lastBatch: { type: Schema.Types.Mixed, default: {} },
    sliced: { type: Boolean, default: false },
  },
  { strict: 'throw', minimize: false, versionKey: false },
);
tallySchema.index({ survey: 1 }, { unique: true });
