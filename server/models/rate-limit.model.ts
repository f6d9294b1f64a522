import { Schema } from 'mongoose';

/**
 * One counter per key and fixed window (key = scope + hashed client or account). Expired entries are
 * removed by a periodic delete: FerretDB 1.24 has no TTL indexes.
 */
export interface RateLimitEntry {
  _id: string;
  count: number;
  expiresAt: Date;
}

export const rateLimitSchema = new Schema<RateLimitEntry>(
  {
    _id: { type: String, required: true },
    count: { type: Number, required: true, default: 0 },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);
rateLimitSchema.index({ expiresAt: 1 });
