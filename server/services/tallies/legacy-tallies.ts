/**
 * Brings counts stored by earlier versions to today's form.
 * - migrateLegacyTallies: one tally document per survey changed with $inc (day slices alike) becomes
 *   snapshots and deltas. The old documents cannot say for sure which votes they count, so each survey is
 *   recounted from its responses, which are the truth; only the vote-check counters, which have no
 *   responses, are carried over. Runs at start-up before any vote is taken; safe to interrupt and run again.
 * - repackCounters: snapshot counters stored as nested documents become JSON text.
 */
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { Survey } from '../../models/survey.model.js';
import type { CounterTree } from '../../models/tally.model.js';
import { packCounters } from './packed-counters.js';
import { addIncrements } from './tally-increments.js';
import type { TallyVerifier } from './tally-verifier.js';
import type { TallyService } from './tally.service.js';

const CARRIED_OVER = ['duplicate', 'rateLimited', 'refused', 'invalid'] as const;

export async function migrateLegacyTallies(models: Models, tallies: TallyService, verifier: TallyVerifier, logger: Logger): Promise<number> {
  const legacy = await models.LegacyTally.find({}).lean();
  for (const old of legacy) {
    const survey = await models.Survey.findById(old.survey, { questions: 1 }).lean<Pick<Survey, '_id' | 'questions'>>();
    if (survey && !(await models.TallyHead.exists({ _id: String(survey._id) }))) {
      const sums = await verifier.recompute(survey);
      for (const event of CARRIED_OVER) {
        const count = old.integrity?.[event] ?? 0;
        if (count > 0) addIncrements(sums.tally, { [`integrity.${event}`]: count });
      }
      await tallies.ensureTally(survey._id);
      await tallies.addSeeded(survey._id, sums, 'migrated');
    }
    await models.LegacyTally.deleteOne({ _id: old._id });
  }
  if (legacy.length > 0) {
    for (const name of ['tallyslices', 'tallypendings']) await models.LegacyTally.db.dropCollection(name).catch(() => {});
    logger.info({ surveys: legacy.length }, 'recounted the tallies of an earlier version');
  }
  return legacy.length;
}

/**
 * Rewrites the counters of snapshots stored as documents by earlier versions as JSON text (see
 * packed-counters.ts), one snapshot at a time. Safe while votes are counted, in any number of processes:
 * a snapshot's counters never change, only their form does, and readers take both forms. A version retired
 * meanwhile may get its counters back, which only costs space until it is swept; the filter names `_id`
 * alone, the one filter FerretDB 1.24 does not answer by decoding the whole collection. Returns how many
 * were rewritten.
 */
export async function repackCounters(models: Models, logger: Logger): Promise<number> {
  let repacked = 0;
  for (const model of [models.TallySnapshot, models.SliceSnapshot]) {
    const earlier = await model.find({ retiredAt: null, counters: { $type: 'object' } }, { counters: 1 }).lean<Array<{ _id: string; counters: CounterTree }>>();
    for (const snapshot of earlier) {
      await model.updateOne({ _id: snapshot._id }, { $set: { counters: packCounters(snapshot.counters) } });
      repacked += 1;
    }
  }
  if (repacked > 0) logger.info({ snapshots: repacked }, 'stored the counters of an earlier version as text');
  return repacked;
}
