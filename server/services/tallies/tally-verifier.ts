/**
 * Recomputes a survey's tally and day slices from its raw responses and lists every counter that differs.
 * Streams the responses (a cursor, one at a time), so it works on a million of them without holding them in memory.
 */
import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import { flattenCounters, type Increments } from './tally-increments.js';
import { TallySums } from './tally-sums.js';
import type { TallyService } from './tally.service.js';

export interface TallyDifference {
  path: string;
  tally: number;
  recomputed: number;
}

/** Counters of refused votes have no responses to recompute them from. */
const NOT_FROM_RESPONSES = /^integrity\.(duplicate|rateLimited|refused|invalid|honeypot|tooFast|badToken|codeRefused)$/;

export class TallyVerifier {
  constructor(
    private readonly models: Models,
    private readonly tallies: TallyService,
  ) {}

  async recompute(survey: Pick<Survey, '_id' | 'questions'>): Promise<TallySums> {
    const sums = new TallySums(survey.questions);
    const cursor = this.models.Response.find({ survey: survey._id }, { answers: 1, day: 1, district: 1, channel: 1 }).lean<SurveyResponse>().cursor({ batchSize: 1000 });
    for await (const response of cursor) sums.add(response as SurveyResponse);
    return sums;
  }

  async verify(surveyId: Types.ObjectId): Promise<{ responses: number; tallyTotal: number; differences: TallyDifference[] }> {
    const survey = await this.models.Survey.findById(surveyId, { questions: 1 }).lean<Pick<Survey, '_id' | 'questions'>>();
    if (!survey) throw new Error(`No survey ${String(surveyId)}`);
    const tally = await this.tallies.get(surveyId);
    const stored = flattenCounters({ total: tally.total, byDay: tally.byDay, byDistrict: tally.byDistrict, byChannel: tally.byChannel, questions: tally.questions, integrity: tally.integrity });
    const sums = await this.recompute(survey);
    const recomputed: Increments = { ...sums.tally };
    // Slices are compared under "slices.<day>.", for every day either side has.
    const days = [...new Set([...Object.keys(tally.byDay), ...sums.slices.keys()])];
    for (const slice of await this.tallies.slices(surveyId, days)) flattenCounters({ cells: slice.cells }, `slices.${slice.day}`, stored);
    for (const day of days) for (const [path, value] of Object.entries(sums.slices.get(day) ?? {})) recomputed[`slices.${day}.${path}`] = value;
    const paths = new Set([...Object.keys(stored), ...Object.keys(recomputed)].filter((path) => !NOT_FROM_RESPONSES.test(path)));
    const differences = [...paths]
      .map((path) => ({ path, tally: stored[path] ?? 0, recomputed: recomputed[path] ?? 0 }))
      .filter((d) => d.tally !== d.recomputed)
      .sort((a, b) => a.path.localeCompare(b.path));
    return { responses: sums.tally.total ?? 0, tallyTotal: tally.total, differences };
  }
}
