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
import { insertKeyed } from './keyed-writes.js';

/** The survey of no survey: tombstones carry it. */
export const VOID_SURVEY = new Types.ObjectId('000000000000000000000000');

/** Reads of fenced ids at a time: each is one keyed read (FerretDB scans a collection for an $in). */
const PARALLEL_READS = 16;

export class BatchSettler {
  constructor(
    private readonly models: Pick<Models, 'Response'>,
    private readonly options: { writeConcern?: WriteConcernSettings; stopped(): boolean },
  ) {}

  /** The responses of the batch that were stored; after this no other response of it can be. */
  async storedOf(batch: Pick<TallyPending, 'survey' | 'responses'>): Promise<SurveyResponse[]> {
    const tombstones = batch.responses.map((id) => ({ _id: id, survey: VOID_SURVEY, submissionId: `tombstone:${String(id)}`, tombstone: true }));
    const existed = await insertKeyed(this.models.Response.collection, tombstones as never[], this.options.writeConcern, { stopped: this.options.stopped });
    const ids = [...existed].map((index) => batch.responses[index]);
    const stored: SurveyResponse[] = [];
    for (let start = 0; start < ids.length; start += PARALLEL_READS) {
      const found = await Promise.all(ids.slice(start, start + PARALLEL_READS).map((id) => this.models.Response.collection.findOne({ _id: id as never })));
      found.forEach((document, i) => {
        // Every fenced id holds a document now; one missing means the read itself went wrong.
        if (!document) throw new Error(`response ${String(ids[start + i])} is missing after it was fenced`);
        if (String(document.survey) === String(batch.survey)) stored.push(document as unknown as SurveyResponse);
      });
    }
    return stored;
  }
}
