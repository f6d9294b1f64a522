import { Schema, type Types } from 'mongoose';

/** A read-only API token of one bureau. Stored as a hash: the token itself is shown once, when made. */
export interface ApiToken {
  /** SHA-256 of the token, hex: looking a token up is a primary-key lookup. */
  _id: string;
  bureau: Types.ObjectId;
  name: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revoked: boolean;
}

export const apiTokenSchema = new Schema<ApiToken>(
  {
    _id: { type: String, required: true },
    bureau: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, default: null },
    revoked: { type: Boolean, required: true, default: false },
  },
  { versionKey: false, strict: 'throw' },
);
apiTokenSchema.index({ bureau: 1 });
