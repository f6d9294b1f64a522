import { Schema, type Types } from 'mongoose';

/**
 * A vote on its way into the tally: inserted before its response, deleted once the tally counts it. The
 * collection only ever holds votes in flight, so finding them after a crash never scans the responses.
 */
export interface TallyPending {
  /** The response's id, as a string. */
  _id: string;
  survey: Types.ObjectId;
  at: Date;
}

export const tallyPendingSchema = new Schema<TallyPending>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);
