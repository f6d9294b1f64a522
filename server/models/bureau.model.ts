import { Schema, type Types } from 'mongoose';
import { LOCALES, type Locale, type LocalizedText } from './survey-definition.types.js';

export const BUREAU_KINDS = ['police', 'court', 'government'] as const;
export type BureauKind = (typeof BUREAU_KINDS)[number];

export interface District {
  id: string;
  name: LocalizedText;
}

export interface Bureau {
  _id: Types.ObjectId;
  slug: string;
  name: LocalizedText;
  kind: BureauKind;
  region: LocalizedText;
  city: LocalizedText;
  districts: District[];
  /** IANA zone, e.g. Asia/Shanghai: days and schedules are in the bureau's local time. */
  timezone: string;
  defaultLocale: Locale;
  /** Categories residents choose from in the advice box. */
  adviceCategories: Array<{ id: string; name: LocalizedText }>;
  /** Advice is to be replied to within this many working days (bureau time zone). */
  replyWorkingDays: number;
  createdAt: Date;
  updatedAt: Date;
}

const localized = { 'zh-CN': { type: String, required: true }, en: { type: String, required: true } };

export const bureauSchema = new Schema<Bureau>(
  {
    slug: { type: String, required: true },
    name: localized,
    kind: { type: String, enum: BUREAU_KINDS, required: true },
    region: localized,
    city: localized,
    districts: [{ _id: false, id: { type: String, required: true }, name: localized }],
    timezone: { type: String, required: true, default: 'Asia/Shanghai' },
    defaultLocale: { type: String, enum: LOCALES, required: true, default: 'zh-CN' },
    adviceCategories: { type: [{ _id: false, id: { type: String, required: true }, name: localized }], default: [] },
    replyWorkingDays: { type: Number, required: true, default: 5 },
  },
  { timestamps: true, strict: 'throw' },
);
bureauSchema.index({ slug: 1 }, { unique: true });
bureauSchema.index({ 'region.en': 1, 'city.en': 1 });
