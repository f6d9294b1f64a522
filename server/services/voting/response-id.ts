/**
 * The `_id` of a stored response: a keyed hash of its survey and submission id, shaped as an ObjectId so every
 * query and tool that expects one keeps working. A driver-made ObjectId starts with its creation time to the
 * second (and counts up within a process), which would undo the hour-rounded `submittedAt` and let a database
 * dump be lined up against the uses of invitation codes; these 12 bytes carry no time and no order. Being
 * derived, the id also lets a retried post be recognised by one `_id` read instead of a query on submissionId.
 */
import { createHmac } from 'node:crypto';
import { Types } from 'mongoose';

export function responseIdFor(secret: string, surveyId: Types.ObjectId | string, submissionId: string): Types.ObjectId {
  return new Types.ObjectId(createHmac('sha256', secret).update(`response-id:${String(surveyId)}:${submissionId}`).digest().subarray(0, 12));
}
