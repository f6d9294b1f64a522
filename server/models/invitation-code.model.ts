import { Schema, type Types } from 'mongoose';

/** A one-time code for an invitation-only survey, stored only as a keyed hash of the code. */
export interface InvitationCode {
  /** The keyed hash of the code: looking a code up by _id is fast on every database. */
  _id: string;
  survey: Types.ObjectId;
  /** Batch the code was issued in, to count uses and revoke together. */
  batch: string;
  expiresAt: Date | null;
  revoked: boolean;
  createdAt: Date;
}

/**
 * That a code was used. A separate insert, so the unique key makes "works once" atomic on every database;
 * it names no response and its times are coarse. Live uses (keyed by the code's hash) become spent ones
 * (`spent:<hash>`, inserted in random order) once their hour is over: see InvitationCodes.compactUses.
 */
export interface InvitationCodeUse {
  /** The code's hash (a live use), or `spent:` and the hash; the primary key makes a second use impossible. */
  _id: string;
  survey: Types.ObjectId;
  batch: string;
  day: string;
  /** Live uses: the hour of the use, to know when it may be compacted. */
  hour?: Date;
  spent?: boolean;
}

export const invitationCodeSchema = new Schema<InvitationCode>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    batch: { type: String, required: true },
    expiresAt: { type: Date, default: null },
    revoked: { type: Boolean, required: true, default: false },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false, strict: 'throw' },
);
invitationCodeSchema.index({ survey: 1, batch: 1 });

export const invitationCodeUseSchema = new Schema<InvitationCodeUse>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    batch: { type: String, required: true },
    day: { type: String, required: true },
    hour: { type: Date },
    spent: { type: Boolean },
  },
  { versionKey: false, strict: 'throw' },
);
invitationCodeUseSchema.index({ survey: 1, batch: 1 });
