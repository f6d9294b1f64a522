import { Schema, type Types } from 'mongoose';

/**
 * A public microblog comment imported by staff. The id is a keyed hash of the bureau, the text and the time,
 * so importing the same post twice (or an overlapping export) stores it once: the insert itself dedupes.
 */
export interface MicroblogPost {
  _id: string;
  bureau: Types.ObjectId;
  text: string;
  postedAt: Date;
  district: string | null;
  /** Import batch: which upload brought it. */
  batch: string;
  importedAt: Date;
}

export const microblogPostSchema = new Schema<MicroblogPost>(
  {
    _id: { type: String, required: true },
    bureau: { type: Schema.Types.ObjectId, required: true },
    text: { type: String, required: true },
    postedAt: { type: Date, required: true },
    district: { type: String, default: null },
    batch: { type: String, required: true },
    importedAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw', collection: 'microblog_posts' },
);
microblogPostSchema.index({ bureau: 1, postedAt: -1 });

/**
 * A bureau's change to one concern of the shipped vocabulary (or a concern of its own): a name, a merge into
 * another concern, a pin. One document per bureau and concern (`<bureau>:<concern>`), so edits of different
 * concerns never touch the same document.
 */
export interface ConcernOverlay {
  _id: string;
  bureau: Types.ObjectId;
  concern: string;
  name: { 'zh-CN': string; en: string } | null;
  mergedInto: string | null;
  pinned: boolean;
  /** Terms of a concern the bureau added itself (null for the shipped ones). */
  terms: string[] | null;
  updatedAt: Date;
}

export const concernOverlaySchema = new Schema<ConcernOverlay>(
  {
    _id: { type: String, required: true },
    bureau: { type: Schema.Types.ObjectId, required: true },
    concern: { type: String, required: true },
    name: { type: Schema.Types.Mixed, default: null },
    mergedInto: { type: String, default: null },
    pinned: { type: Boolean, required: true, default: false },
    terms: { type: [String], default: null },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw', collection: 'concern_overlays' },
);
concernOverlaySchema.index({ bureau: 1 });

export const ACTION_STATUSES = ['planned', 'in-progress', 'done'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** What prompted an action: a concern found in free text, or the result of one survey question. */
export type ActionEvidence = { kind: 'concern'; concern: string } | { kind: 'question'; survey: Types.ObjectId; question: string };

/** "You said, we did": an action a bureau took in answer to what residents said. Shown on its public page. */
export interface AccountabilityAction {
  _id: Types.ObjectId;
  bureau: Types.ObjectId;
  title: { 'zh-CN': string; en: string };
  /** What was done. */
  body: { 'zh-CN': string; en: string };
  status: ActionStatus;
  startedOn: string;
  /** YYYY-MM-DD in the bureau's time zone; null while not finished. */
  endedOn: string | null;
  evidence: ActionEvidence;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

const bilingual = { _id: false, 'zh-CN': { type: String, default: '' }, en: { type: String, default: '' } };

export const accountabilityActionSchema = new Schema<AccountabilityAction>(
  {
    bureau: { type: Schema.Types.ObjectId, required: true },
    title: { type: bilingual, required: true },
    body: { type: bilingual, required: true },
    status: { type: String, enum: ACTION_STATUSES, required: true },
    startedOn: { type: String, required: true },
    endedOn: { type: String, default: null },
    evidence: { type: Schema.Types.Mixed, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw', collection: 'accountability_actions' },
);
accountabilityActionSchema.index({ bureau: 1, startedOn: -1 });
