/**
 * The numbers behind a survey's dashboard. Without a filter they come from the survey's tally (one document,
 * whatever the number of responses); with one, from a single streamed pass over the matching responses,
 * counted with the same function that builds the tally, so filtered and unfiltered numbers agree by construction.
 */
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { AnswerValue, SurveyResponse } from '../../models/response.model.js';
import type { Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { IntegrityCounters, QuestionTally } from '../../models/tally.model.js';
import { addIncrements, responseIncrements, type Increments } from '../tallies/tally-increments.js';
import { calendarDay } from '../voting/vote.service.js';
import { isFiltered, responseQuery, type DashboardFilter } from './dashboard-filter.js';

export interface Counts {
  total: number;
  byDay: Record<string, number>;
  byDistrict: Record<string, number>;
  byChannel: Record<string, number>;
  questions: Record<string, QuestionTally>;
}

export interface TextAnswer {
  text: string;
  day: string;
  district: string | null;
}

const PROJECTION = { answers: 1, day: 1, district: 1, channel: 1 } as const;

/** Increments ("questions.q1.options.a": 3) folded back into the nested shape of a tally. */
export function countsFromIncrements(sums: Increments): Counts {
  const counts: Counts = { total: sums.total ?? 0, byDay: {}, byDistrict: {}, byChannel: {}, questions: {} };
  for (const [path, value] of Object.entries(sums)) {
    const parts = path.split('.');
    if (parts[0] === 'byDay' || parts[0] === 'byDistrict' || parts[0] === 'byChannel') {
      counts[parts[0]][parts[1]!] = value;
    } else if (parts[0] === 'questions') {
      const q = (counts.questions[parts[1]!] ??= { answered: 0, options: {}, ranks: {} });
      if (parts[2] === 'answered') q.answered = value;
      else if (parts[2] === 'options') q.options[parts[3]!] = value;
      else if (parts[2] === 'ranks') ((q.ranks ??= {})[parts[3]!] ??= {})[parts[4]!] = value;
    }
  }
  return counts;
}

/** What a response counts as in a cross-tab: each chosen option, a ranking's first choice, a single value. */
function crossTabKeys(question: Question, answer: AnswerValue | undefined): string[] {
  if (answer === undefined) return [];
  if (!Array.isArray(answer)) return [String(answer)];
  return question.type === 'ranking' ? answer.slice(0, 1) : answer;
}

export class DashboardService {
  constructor(private readonly models: Models) {}

  async counts(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter): Promise<Counts> {
    if (!isFiltered(filter)) {
      const tally = await this.models.Tally.findOne({ survey: survey._id }).lean();
      return { total: tally?.total ?? 0, byDay: tally?.byDay ?? {}, byDistrict: tally?.byDistrict ?? {}, byChannel: tally?.byChannel ?? {}, questions: tally?.questions ?? {} };
    }
    const sums: Increments = {};
    for await (const response of this.stream(survey, filter)) addIncrements(sums, responseIncrements(survey.questions, response));
    return countsFromIncrements(sums);
  }

  async integrity(survey: Pick<Survey, '_id'>): Promise<IntegrityCounters> {
    const tally = await this.models.Tally.findOne({ survey: survey._id }, { integrity: 1 }).lean();
    return { accepted: 0, duplicate: 0, rateLimited: 0, refused: 0, invalid: 0, ...(tally?.integrity ?? {}) };
  }

  /** Rows: answers to one choice question; columns: answers to another; cells: responses with both. */
  async crossTab(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter, rowQuestion: Question, columnQuestion: Question): Promise<Record<string, Record<string, number>>> {
    const cells: Record<string, Record<string, number>> = {};
    for await (const response of this.stream(survey, filter)) {
      for (const row of crossTabKeys(rowQuestion, response.answers[rowQuestion.id])) {
        for (const column of crossTabKeys(columnQuestion, response.answers[columnQuestion.id])) {
          const line = (cells[row] ??= {});
          line[column] = (line[column] ?? 0) + 1;
        }
      }
    }
    return cells;
  }

  /** Free-text answers to a question, newest first, optionally containing a search term; one page at a time. */
  async texts(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter, questionId: string, options: { page: number; pageSize: number; search?: string; limit?: number }): Promise<{ items: TextAnswer[]; matching: number; all: TextAnswer[] }> {
    const search = options.search?.toLowerCase();
    const query = { ...responseQuery(survey._id, filter, survey.questions), [`answers.${questionId}`]: { $exists: true } };
    const cursor = this.models.Response.find(query, { [`answers.${questionId}`]: 1, day: 1, district: 1 }).sort({ _id: -1 }).lean<SurveyResponse>().cursor({ batchSize: 500 });
    const matched: TextAnswer[] = [];
    const all: TextAnswer[] = [];
    for await (const response of cursor) {
      const text = (response as SurveyResponse).answers[questionId];
      if (typeof text !== 'string') continue;
      const item = { text, day: (response as SurveyResponse).day, district: (response as SurveyResponse).district };
      if (all.length < (options.limit ?? 5000)) all.push(item);
      if (!search || text.toLowerCase().includes(search)) matched.push(item);
    }
    const start = (options.page - 1) * options.pageSize;
    return { items: matched.slice(start, start + options.pageSize), matching: matched.length, all };
  }

  /** Responses per day in the bureau's time zone, with the days without responses filled in. */
  static overTime(byDay: Record<string, number>): Array<{ day: string; count: number }> {
    const days = Object.keys(byDay).sort();
    if (days.length === 0) return [];
    const series: Array<{ day: string; count: number }> = [];
    const end = new Date(`${days[days.length - 1]}T00:00:00Z`);
    for (let d = new Date(`${days[0]}T00:00:00Z`); d <= end && series.length < 3660; d = new Date(d.getTime() + 86_400_000)) {
      const key = d.toISOString().slice(0, 10);
      series.push({ day: key, count: byDay[key] ?? 0 });
    }
    return series;
  }

  static today(bureau: Pick<Bureau, 'timezone'>, now = new Date()): string {
    return calendarDay(now, bureau.timezone);
  }

  private stream(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter): AsyncIterable<SurveyResponse> {
    return this.models.Response.find(responseQuery(survey._id, filter, survey.questions), PROJECTION).lean<SurveyResponse>().cursor({ batchSize: 1000 }) as unknown as AsyncIterable<SurveyResponse>;
  }
}
