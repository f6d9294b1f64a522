import { randomInt } from 'node:crypto';
import { Schema, type Types } from 'mongoose';
import type { Locale, LocalizedText, Question, SurveySettings } from './survey-definition.types.js';

export const SURVEY_STATUSES = ['draft', 'scheduled', 'open', 'closed', 'archived'] as const;
export type SurveyStatus = (typeof SURVEY_STATUSES)[number];

export interface Survey {
  _id: Types.ObjectId;
  bureau: Types.ObjectId;
  slug: string;
  /** The template (surveys/<slug>.json) it was made from, so waves and bureaus can be compared. */
  template: string | null;
  title: LocalizedText;
  description: LocalizedText;
  defaultLocale: Locale;
  questions: Question[];
  settings: SurveySettings;
  status: SurveyStatus;
  opensAt: Date | null;
  closesAt: Date | null;
  /** Bumped on every edit; cached pages and validators are keyed by it. */
  revision: number;
  /** Code of the short link /s/:code, for posters and SMS. */
  shortCode: string;
  createdAt: Date;
  updatedAt: Date;
}

const SHORT_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';

/** Seven characters without look-alikes (0/o, 1/l/i): easy to type from a poster. */
export function newShortCode(): string {
  return Array.from({ length: 7 }, () => SHORT_ALPHABET[randomInt(SHORT_ALPHABET.length)]).join('');
}

const localized = { 'zh-CN': { type: String, required: true }, en: { type: String, required: true } };

export const surveySchema = new Schema<Survey>(
  {
    bureau: { type: Schema.Types.ObjectId, ref: 'Bureau', required: true },
    slug: { type: String, required: true },
    template: { type: String, default: null },
    title: localized,
    description: { 'zh-CN': { type: String, default: '' }, en: { type: String, default: '' } },
    defaultLocale: { type: String, required: true },
    // Validated as a whole by the survey-definition JSON Schema, so stored as given.
    questions: { type: Schema.Types.Mixed, required: true },
    settings: { type: Schema.Types.Mixed, required: true },
    status: { type: String, enum: SURVEY_STATUSES, required: true, default: 'draft' },
    opensAt: { type: Date, default: null },
    closesAt: { type: Date, default: null },
    revision: { type: Number, required: true, default: 1 },
    shortCode: { type: String, required: true, default: newShortCode },
  },
  { timestamps: true, strict: 'throw', minimize: false },
);
surveySchema.index({ bureau: 1, slug: 1 }, { unique: true });
surveySchema.index({ bureau: 1, status: 1 });
surveySchema.index({ template: 1, bureau: 1 });
surveySchema.index({ shortCode: 1 }, { unique: true });
