/** The counters of many responses summed for one write per document: the survey's tally and each day slice. */
import type { SurveyResponse } from '../../models/response.model.js';
import type { Question } from '../../models/survey-definition.types.js';
import { addIncrements, responseIncrements, sliceIncrements, type Increments } from './tally-increments.js';

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
}
