/**
 * The numbers behind a survey's dashboard, read so that their cost does not grow with the number of responses:
 * - no filter: the survey's tally (its snapshot and the deltas not folded yet);
 * - date, district and channel filters: the survey's day slices in the date range (one document per day,
 *   kept in memory while unchanged), adding up the cells of the chosen district and channel;
 * - an answer filter ("respondents who answered X to Q") and cross-tabs: a pass over the survey's column
 *   store (typed arrays in memory, see results/column-store.ts), or, for a survey too big to keep there, one
 *   streamed pass over the matching responses.
 */
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import type { IntegrityCounters, QuestionTally, Tally } from '../../models/tally.model.js';
import type { TallyService } from '../tallies/tally.service.js';
import { addIncrements, flattenCounters, readCellKey, responseIncrements, type Increments } from '../tallies/tally-increments.js';
import { calendarDay } from '../voting/vote.service.js';
import { isFiltered, responseQuery, type DashboardFilter } from './dashboard-filter.js';
import { DaySlices } from './day-slices.js';
import type { ColumnStore } from '../results/column-store.js';
import { SurveyColumns, type ColumnCounts } from '../results/survey-columns.js';

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

export interface DashboardNumbers {
  /** What the filter selects. */
  counts: Counts;
  /** The whole survey. */
  overall: Counts;
  integrity: IntegrityCounters;
}

const PROJECTION = { answers: 1, day: 1, district: 1, channel: 1 } as const;
/** The newest free-text answers that word counts are made from. */
export const TEXT_SAMPLE = 2000;

/** Keeps the newest `size` of a stream of items, whichever order the stream comes in. */
class NewestFirst<T> {
  private readonly kept: T[] = [];
  private next = 0;

  constructor(
    private readonly size: number,
    private readonly order: 'newest-first' | 'oldest-first',
  ) {}

  add(item: T): void {
    if (this.kept.length < this.size) this.kept.push(item);
    else if (this.order === 'oldest-first') {
      // A ring: the oldest kept item makes room.
      this.kept[this.next] = item;
      this.next = (this.next + 1) % this.size;
    }
  }

  items(): T[] {
    if (this.order === 'newest-first') return [...this.kept];
    return [...this.kept.slice(this.next), ...this.kept.slice(0, this.next)].reverse();
  }
}

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

/** A column store pass, in the nested shape of a tally. */
export function countsFromColumns(sums: ColumnCounts): Counts {
  const questions: Record<string, QuestionTally> = {};
  for (const [id, q] of sums.questions) {
    const ranks: Record<string, Record<string, number>> = {};
    for (const [item, atRank] of q.ranks) ranks[item] = Object.fromEntries([...atRank].map(([rank, count]) => [String(rank), count]));
    questions[id] = { answered: q.answered, options: Object.fromEntries(q.options), ranks };
  }
  return { total: sums.total, byDay: Object.fromEntries(sums.byDay), byDistrict: Object.fromEntries(sums.byDistrict), byChannel: Object.fromEntries(sums.byChannel), questions };
}

export class DashboardService {
  private readonly slices: DaySlices;

  constructor(
    private readonly models: Models,
    private readonly tallies: TallyService,
    private readonly options: { sortsInMemory: boolean },
    private readonly columnStore?: ColumnStore,
  ) {
    this.slices = new DaySlices(tallies);
  }

  /**
   * The filtered numbers, the whole survey's and the integrity counters, from one read of the tally: `read`
   * when the caller has just made it (preparePasses).
   */
  async numbers(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter, read?: Tally): Promise<DashboardNumbers> {
    const tally = read ?? (await this.tallies.get(survey._id));
    const overall: Counts = { total: tally.total, byDay: tally.byDay, byDistrict: tally.byDistrict, byChannel: tally.byChannel, questions: tally.questions };
    const integrity = tally.integrity;
    let counts = overall;
    if (isFiltered(filter)) counts = !filter.answer ? await this.countSlices(survey, overall, filter) : await this.countResponses(survey, filter, tally);
    return { counts, overall, integrity };
  }

  /**
   * Whether answer filters and cross-tabs of the survey can run now, with the tally read to tell (for
   * numbers()), or how far the read they need has come.
   */
  async preparePasses(survey: Pick<Survey, '_id' | 'questions'>, waitMs: number): Promise<{ ready: true; tally?: Tally } | { ready: false; read: number; total: number }> {
    if (!this.columnStore) return { ready: true };
    const tally = await this.tallies.get(survey._id);
    const prepared = await this.columnStore.prepare(survey, tally, waitMs);
    return prepared.ready ? { ready: true, tally } : prepared;
  }

  async counts(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter): Promise<Counts> {
    return (await this.numbers(survey, filter)).counts;
  }

  /** Adds up the cells of the day slices in the filter's date range that match its district and channel. */
  private async countSlices(survey: Pick<Survey, '_id'>, overall: Counts, filter: DashboardFilter): Promise<Counts> {
    const dayTotals = Object.fromEntries(Object.entries(overall.byDay).filter(([day]) => (!filter.from || day >= filter.from) && (!filter.to || day <= filter.to)));
    const sums: Increments = {};
    for (const slice of await this.slices.read(survey._id, dayTotals)) {
      for (const [key, cell] of Object.entries(slice.cells ?? {})) {
        const { district, channel } = readCellKey(key);
        if ((filter.district && district !== filter.district) || (filter.channel && channel !== filter.channel)) continue;
        // The cell's counters with the paths a response adds to the tally, so they fold back the same way.
        const where: Increments = { [`byDay.${slice.day}`]: cell.total, [`byChannel.${channel}`]: cell.total, ...(district ? { [`byDistrict.${district}`]: cell.total } : {}) };
        addIncrements(sums, flattenCounters({ total: cell.total, questions: cell.questions }, '', where));
      }
    }
    return countsFromIncrements(sums);
  }

  private async countResponses(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter, tally: Pick<Counts, 'byDay' | 'total'>): Promise<Counts> {
    const columns = await this.columnStore?.columns(survey, tally);
    if (columns) return countsFromColumns(await columns.counts(filter));
    const sums: Increments = {};
    for await (const response of this.stream(survey, filter)) addIncrements(sums, responseIncrements(survey.questions, response));
    return countsFromIncrements(sums);
  }

  /**
   * Columns holding what a filter selects, and the filter still to apply to them: the survey's column store
   * with the whole filter, or (a survey too big to keep) columns made for this request from the matching
   * responses, with nothing left to apply.
   */
  async columns(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter, basis?: Pick<Counts, 'byDay' | 'total'>): Promise<{ columns: SurveyColumns; filter: DashboardFilter }> {
    const tally = basis ?? (await this.tallies.get(survey._id));
    const kept = await this.columnStore?.columns(survey, tally);
    if (kept) return { columns: kept, filter };
    const columns = new SurveyColumns(survey.questions);
    for await (const response of this.stream(survey, filter)) columns.add(response);
    return { columns, filter: {} };
  }

  /**
   * Free-text answers to a question (or its "other" texts), newest first, optionally containing a search term: one page, how many
   * match, and the newest matches (up to TEXT_SAMPLE) for word counts. One pass over the matching responses
   * that keeps at most the answers up to the end of the page, so memory stays small however many there are.
   */
  async texts(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter, questionId: string, options: { page: number; pageSize: number; search?: string; source?: 'answers' | 'otherText' }): Promise<{ items: TextAnswer[]; matching: number; sample: TextAnswer[] }> {
    const search = options.search?.toLowerCase();
    const start = (options.page - 1) * options.pageSize;
    // A free-text answer, or the "other, please specify" text of a choice question.
    const source = options.source ?? 'answers';
    const query = { ...responseQuery(survey._id, filter, survey.questions), [`${source}.${questionId}`]: { $exists: true } };
    const cursor = this.models.Response.find(query, { [`${source}.${questionId}`]: 1, day: 1, district: 1 })
      // Newest day first (response ids carry no time, see response-id.ts); the {survey, day} index serves it.
      .sort(this.options.sortsInMemory ? {} : { day: -1 })
      .lean<SurveyResponse>()
      .cursor({ batchSize: 1000 });
    const newest = new NewestFirst<TextAnswer>(Math.max(start + options.pageSize, TEXT_SAMPLE), this.options.sortsInMemory ? 'oldest-first' : 'newest-first');
    let matching = 0;
    for await (const raw of cursor) {
      const response = raw as SurveyResponse;
      const text = response[source]?.[questionId];
      if (typeof text !== 'string' || (search && !text.toLowerCase().includes(search))) continue;
      matching += 1;
      newest.add({ text, day: response.day, district: response.district });
    }
    const items = newest.items();
    return { items: items.slice(start, start + options.pageSize), matching, sample: items.slice(0, TEXT_SAMPLE) };
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
