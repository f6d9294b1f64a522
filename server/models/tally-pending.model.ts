import { Schema, type Types } from 'mongoose';

/**
 * A batch of votes on its way into the tally: inserted before their responses, deleted once the tally and
 * day slices count them. The collection only ever holds batches in flight, so finding them after a crash
 * never scans the responses.
 */
export interface TallyPending {
  /** The batch's id; tally and slice documents record it once they count the batch. */
  _id: string;
  survey: Types.ObjectId;
  /** Ids (as strings) of the responses the batch inserts, all of this survey. Markers written before batches existed lack it: their _id is the one response id. */
  responses?: string[];
  at: Date;
}

export const tallyPendingSchema = new Schema<TallyPending>(
  {
    _id: { type: String, required: true },
    survey: { type: Schema.Types.ObjectId, required: true },
    responses: { type: [String], default: undefined },
    at: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);

/** The response ids a marker stands for. */
export function pendingResponseIds(marker: Pick<TallyPending, '_id' | 'responses'>): string[] {
  return marker.responses ?? [marker._id];
}
