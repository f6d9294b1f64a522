/** The counters of many responses summed for one write per document: the survey's tally and each day slice. */
import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Question } from '../../models/survey-definition.types.js';
import { addIncrements, responseIncrements, sliceId, sliceIncrements, type Increments } from './tally-increments.js';

export class TallySums {
  readonly tally: Increments = {};
  /** Keyed by day. */
  readonly slices = new Map<string, Increments>();

  constructor(private readonly questions: readonly Question[]) {}

  add(response: Pick<SurveyResponse, 'answers' | 'day' | 'district' | 'channel'>): void {
    addIncrements(this.tally, responseIncrements(this.questions, response));
    const slice = this.slices.get(response.day) ?? {};
    addIncrements(slice, sliceIncrements(this.questions, response));
    this.slices.set(response.day, slice);
  }

  /**
   * Adds the sums to the stored counters. For bulk seeding (demo data, benchmarks) with no votes arriving
   * at the same time; live votes go through the TallyWriter.
   */
  async addTo(models: Pick<Models, 'Tally' | 'TallySlice'>, surveyId: Types.ObjectId): Promise<void> {
    if (Object.keys(this.tally).length === 0) return;
    for (const [day, inc] of this.slices) {
      await models.TallySlice.updateOne({ _id: sliceId(surveyId, day) }, { $inc: inc, $set: { survey: surveyId, day } }, { upsert: true });
    }
    const result = await models.Tally.updateOne({ survey: surveyId }, { $inc: this.tally });
    if (result.matchedCount !== 1) throw new Error(`survey ${String(surveyId)} has no tally document`);
  }
}
