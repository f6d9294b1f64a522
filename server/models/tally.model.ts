import { Schema, type Types } from 'mongoose';

/** Nested counters: every leaf is a number ("questions.q1.options.a" is counters.questions.q1.options.a). */
export interface CounterTree {
  [key: string]: number | CounterTree;
}

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
  /** Address groups refused as bots (any reason), one per group and ten minutes (see RefusalCounter). */
  refused: number;
  invalid: number;
  /** Refusals by reason, each counted once per address group, reason and ten minutes like `refused`. */
  honeypot: number;
  tooFast: number;
  badToken: number;
  codeRefused: number;
}

/**
 * A survey's counts as readers see them: its newest snapshot plus the deltas not yet folded into it (see
 * TallyService). Never stored in this shape.
 */
export interface Tally {
  survey: Types.ObjectId;
  total: number;
  byDay: Record<string, number>;
  byDistrict: Record<string, number>;
  byChannel: Record<string, number>;
  questions: Record<string, QuestionTally>;
  integrity: IntegrityCounters;
}

/**
 * The counting of earlier versions: one document per survey changed with $inc. Read once at start-up by
 * the migration to snapshots (see migrateLegacyTallies), never written.
 */
export interface LegacyTally {
  _id: Types.ObjectId;
  survey: Types.ObjectId;
  integrity?: Partial<IntegrityCounters>;
}

export const legacyTallySchema = new Schema<LegacyTally>(
  { survey: { type: Schema.Types.ObjectId, required: true }, integrity: { type: Schema.Types.Mixed } },
  { strict: false, versionKey: false, collection: 'tallies' },
);

/** The counts of the responses of one (district, channel) pair on one day. */
export interface SliceCell {
  total: number;
  questions: Record<string, QuestionTally>;
}

/** A survey's counts for one calendar day, split by district and channel (keyed by cellKey()). */
export interface DaySlice {
  day: string;
  cells: Record<string, SliceCell>;
}
