/**
 * Moves counts kept by earlier versions (one tally document per survey changed with $inc, day slices alike)
 * to snapshots and deltas. The old documents cannot say for sure which votes they count, so each survey is
 * recounted from its responses, which are the truth; only the vote-check counters, which have no
 * responses, are carried over. Runs at start-up before any vote is taken; safe to interrupt and run again.
 */
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { Survey } from '../../models/survey.model.js';
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
