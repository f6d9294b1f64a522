import { Schema, type Types } from 'mongoose';
import type { Locale } from './survey-definition.types.js';

export const ADVICE_STATUSES = ['received', 'in-progress', 'replied', 'closed'] as const;
export type AdviceStatus = (typeof ADVICE_STATUSES)[number];

export const SATISFACTION_RATINGS = ['satisfied', 'basically-satisfied', 'dissatisfied'] as const;
export type SatisfactionRating = (typeof SATISFACTION_RATINGS)[number];

/** A piece of advice or a complaint sent to a bureau through its advice box: a tracked case. */
export interface AdviceItem {
  /** Random, so neither the id nor the insertion order tells when or from where it came. */
  _id: string;
  bureau: Types.ObjectId;
  /** Keyed hash of the resident's tracking code: /track/<code> is a keyed read, and a dump does not reveal codes. */
  trackingHash: string;
  /** One of the bureau's advice categories (Bureau.adviceCategories[].id). */
  category: string;
  district: string | null;
  text: string;
  locale: Locale;
  /** Optional contact, kept only with the resident's explicit consent; never shown publicly. */
  contact: string | null;
  /** The resident allows the text to be published (after moderation). */
  publishConsent: boolean;
  /** Staff approved the text for public pages (moderation); never true without publishConsent. */
  publicApproved: boolean;
  status: AdviceStatus;
  assignee: Types.ObjectId | null;
  receivedAt: Date;
  /** Reply deadline, counted in working days in the bureau's time zone. */
  dueAt: Date;
  reply: string | null;
  repliedAt: Date | null;
  closedAt: Date | null;
  notes: Array<{ author: Types.ObjectId; text: string; at: Date }>;
}

/**
 * A resident's satisfaction with how a case was handled, once per case or per one-time code: the primary key
 * (`advice:<case id>` or `code:<code hash>`) makes "once" an atomic insert on every database.
 */
export interface SatisfactionVote {
  _id: string;
  bureau: Types.ObjectId;
  source: 'advice' | 'code';
  /** The case list (batch) a one-time code was issued for, when source is 'code'. */
  batch: string | null;
  rating: SatisfactionRating;
  comment: string | null;
  /** Month of the rating (YYYY-MM, bureau time): coarse on purpose. */
  month: string;
}

export const adviceItemSchema = new Schema<AdviceItem>(
  {
    _id: { type: String, required: true },
    bureau: { type: Schema.Types.ObjectId, required: true },
    trackingHash: { type: String, required: true },
    category: { type: String, required: true },
    district: { type: String, default: null },
    text: { type: String, required: true },
    locale: { type: String, required: true },
    contact: { type: String, default: null },
    publishConsent: { type: Boolean, required: true, default: false },
    publicApproved: { type: Boolean, required: true, default: false },
    status: { type: String, enum: ADVICE_STATUSES, required: true, default: 'received' },
    assignee: { type: Schema.Types.ObjectId, default: null },
    receivedAt: { type: Date, required: true },
    dueAt: { type: Date, required: true },
    reply: { type: String, default: null },
    repliedAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    notes: [{ _id: false, author: { type: Schema.Types.ObjectId, required: true }, text: { type: String, required: true }, at: { type: Date, required: true } }],
  },
  { versionKey: false, strict: 'throw', collection: 'advice_items' },
);
adviceItemSchema.index({ trackingHash: 1 }, { unique: true });
adviceItemSchema.index({ bureau: 1, receivedAt: -1 });

export const satisfactionVoteSchema = new Schema<SatisfactionVote>(
  {
    _id: { type: String, required: true },
    bureau: { type: Schema.Types.ObjectId, required: true },
    source: { type: String, enum: ['advice', 'code'], required: true },
    batch: { type: String, default: null },
    rating: { type: String, enum: SATISFACTION_RATINGS, required: true },
    comment: { type: String, default: null },
    month: { type: String, required: true },
  },
  { versionKey: false, strict: 'throw', collection: 'satisfaction_votes' },
);
satisfactionVoteSchema.index({ bureau: 1, month: 1 });
