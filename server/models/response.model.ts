import { Schema, type Types } from 'mongoose';
import type { Locale } from './survey-definition.types.js';

export const CHANNELS = ['web', 'kiosk', 'paper', 'phone'] as const;
export type Channel = (typeof CHANNELS)[number];

/** An answer as stored: an option id, a list of option ids (multiple choice, ranking in rank order), a rating, or text. */
export type AnswerValue = string | string[] | number;

export interface SurveyResponse {
  _id: Types.ObjectId;
  survey: Types.ObjectId;
  bureau: Types.ObjectId;
  /** 128-bit random id carried by the form; makes retried posts idempotent. */
  submissionId: string;
  /** Code shown to the resident on the thank-you page, derived from the submission id (see receipt.ts). */
  receipt: string;
  answers: Record<string, AnswerValue>;
  /** "Other, please specify" texts, by question id. */
  otherText: Record<string, string>;
  /** Coarse time of the vote (to the hour), so a response cannot be matched to a moment. */
  submittedAt: Date;
  /** Calendar day in the bureau's time zone (YYYY-MM-DD), for per-day counts without date operators. */
  day: string;
  district: string | null;
  channel: Channel;
  locale: Locale;
  /** Salted hash of the client address; kept only for surveys whose anonymity is "confidential". */
  clientHash: string | null;
  /**
   * The random token of the batch that inserted it (see TallyPending.token): the same form posted again may
   * reuse its id in another batch, and only the batch that stored it counts it. Links to nothing once the
   * batch's marker is deleted.
   */
  batch?: string | null;
}

export const responseSchema = new Schema<SurveyResponse>(
  {
    survey: { type: Schema.Types.ObjectId, required: true },
    bureau: { type: Schema.Types.ObjectId, required: true },
    submissionId: { type: String, required: true },
    receipt: { type: String, required: true },
    answers: { type: Schema.Types.Mixed, required: true },
    otherText: { type: Schema.Types.Mixed, default: {} },
    submittedAt: { type: Date, required: true },
    day: { type: String, required: true },
    district: { type: String, default: null },
    channel: { type: String, enum: CHANNELS, required: true, default: 'web' },
    locale: { type: String, required: true },
    clientHash: { type: String, default: null },
    batch: { type: String, default: null },
  },
  { strict: 'throw', minimize: false, versionKey: false },
);
responseSchema.index({ survey: 1, submissionId: 1 }, { unique: true });
responseSchema.index({ survey: 1, day: 1 });
responseSchema.index({ survey: 1, district: 1, day: 1 });
responseSchema.index({ survey: 1, channel: 1, day: 1 });
