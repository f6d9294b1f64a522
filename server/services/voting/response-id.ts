/**
 * The `_id` of a stored response: a keyed hash of its survey and submission id, shaped as an ObjectId so every
 * query and tool that expects one keeps working. A driver-made ObjectId starts with its creation time to the
 * second (and counts up within a process), which would undo the hour-rounded `submittedAt` and let a database
 * dump be lined up against the uses of invitation codes; these 12 bytes carry no time and no order. Being
 * derived, the id also lets a retried post be recognised by one `_id` read instead of a query on submissionId.
 *
 * A post whose insert gave no answer may have its id fenced by a tombstone (see BatchSettler) without being
 * stored; the same form posted again then takes the next generation's id, and so on.
 */
import { createHmac } from 'node:crypto';
import { Types } from 'mongoose';

export function responseIdFor(secret: string, surveyId: Types.ObjectId | string, submissionId: string, generation = 0): Types.ObjectId {
  const input = `response-id:${String(surveyId)}:${submissionId}${generation > 0 ? `:${generation}` : ''}`;
  return new Types.ObjectId(createHmac('sha256', secret).update(input).digest().subarray(0, 12));
}

/** Generations tried before a form is taken as stored elsewhere: each needs a fenced, unstored post before it. */
export const MAX_ID_GENERATIONS = 8;
