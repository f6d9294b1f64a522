import { Schema, type Types } from 'mongoose';

/**
 * A one-time code for rating how a case handled outside Minyi (hotline, counter, letter) went: staff issue a
 * batch for a list of cases and send the codes by SMS; the rating itself is a SatisfactionVote keyed
 * `code:<hash>`, so each code rates once. Only the keyed hash of the code is stored.
 */
export interface SatisfactionCode {
  /** Keyed hash of the code. */
  _id: string;
  bureau: Types.ObjectId;
  batch: string;
  /** What the staff called the case list, e.g. "12345 hotline, November". */
  label: string;
  createdAt: Date;
}

export const satisfactionCodeSchema = new Schema<SatisfactionCode>(
  {
    _id: { type: String, required: true },
    bureau: { type: Schema.Types.ObjectId, required: true },
    batch: { type: String, required: true },
    label: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw', collection: 'satisfaction_codes' },
);
satisfactionCodeSchema.index({ bureau: 1, batch: 1 });
