/**
 * Decides, once and for all, which responses of a batch were stored when the insert that carried them gave
 * no answer (or its process died). Reading them back would not do: the insert may still be on its way and
 * land after the read. So each response id is first fenced with a tombstone, inserted under that id: where
 * the response already landed the tombstone is a duplicate, and where it had not, the response never can.
 * After that every id holds a document that nothing changes, and reading them is safe.
 *
 * A tombstone belongs to no survey (its `survey` is VOID_SURVEY), so every query of a survey's responses
 * passes over it; its submission id is unique to it, so it never blocks a resident's vote.
 */
import type { WriteConcernSettings } from 'mongodb';
import { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { TallyPending } from '../../models/tally-pending.model.js';
import { insertKeyed } from '../../db/keyed-writes.js';

/** The survey of no survey: tombstones carry it. */
export const VOID_SURVEY = new Types.ObjectId('000000000000000000000000');

/** Whether a document holding a response id is a tombstone: a post fenced off, never stored. */
export function isTombstone(holder: { survey?: unknown } | Record<string, unknown>): boolean {
  return String(holder.survey) === String(VOID_SURVEY);
}

export class BatchSettler {
  constructor(
    private readonly models: Pick<Models, 'Response'>,
    private readonly options: { writeConcern?: WriteConcernSettings; stopped(): boolean },
  ) {}

  /** The responses of the batch that were stored; after this no other response of it can be. */
  async storedOf(batch: Pick<TallyPending, 'survey' | 'token' | 'responses'>): Promise<SurveyResponse[]> {
    const tombstones = batch.responses.map((id) => ({ _id: id, survey: VOID_SURVEY, submissionId: `tombstone:${String(id)}`, tombstone: true }));
    const existed = await insertKeyed(this.models.Response.collection, tombstones as never[], this.options.writeConcern, { stopped: this.options.stopped });
    const ids = [...existed].map((index) => batch.responses[index]);
    if (ids.length === 0) return [];
    // One query, not one per id: FerretDB reads the whole collection for either.
    const found = await this.models.Response.collection.find({ _id: { $in: ids as never[] } }).toArray();
    // Every fenced id holds a document now; one missing means the read itself went wrong.
    if (found.length !== ids.length) throw new Error(`${ids.length - found.length} responses are missing after they were fenced`);
    // A response of another batch (the same form posted again, reusing its id) is that batch's to count.
    const stored = found.filter((document) => String(document.survey) === String(batch.survey) && (document.batch ?? null) === (batch.token ?? null)) as unknown as SurveyResponse[];
    return stored;
  }
}
