import { Schema, type Types } from 'mongoose';

/**
 * A batch of votes on its way into the counts: inserted before its responses, deleted once its delta is
 * stored. The collection only ever holds batches in flight, so finding those a crashed process left behind
 * never scans the responses. Any process may finish such a batch (see BatchResolver).
 */
export interface TallyPending {
  /** The batch's delta id (see deltaId()). */
  _id: string;
  survey: Types.ObjectId;
  writer: string;
  seq: number;
  /** Random; stored on the batch's responses, so settling counts only those this batch stored. */
  token: string;
  /** Ids of the responses the batch inserts, all of this survey, as stored (ObjectId or string). */
  responses: unknown[];
  at: Date;
}

export const tallyPendingSchema = new Schema<TallyPending>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    writer: { type: String, required: true },
    seq: { type: Number, required: true },
    token: { type: String, required: true },
    responses: { type: [Schema.Types.Mixed], default: [] },
    at: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw', collection: 'tally_pending' },
);
