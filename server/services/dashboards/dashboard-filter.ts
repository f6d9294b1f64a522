/**
 * The filter of a results view, read from the URL so a view can be shared and bookmarked. The one parser of
 * every results route (dashboard, public results, report, exports, API): a field it does not know, a value
 * given twice, an operator (`district[$ne]=x`) or an answer that is not one of the question's is refused
 * with a 400 naming the field, because a mistyped filter that silently returns everything is a wrong number.
 */
import { BadRequestError } from '../../errors/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import { CHANNELS, type Channel } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Question } from '../../models/survey-definition.types.js';

export interface DashboardFilter {
  from?: string;
  to?: string;
  district?: string;
  channel?: Channel;
  /** "Respondents who answered `value` to question `question`" (for a ranking: who ranked `value` at all). */
  answer?: { question: string; value: string };
}

/** The fields of a filter; routes name the other query fields they read (page, search, rows, cols). */
export const FILTER_FIELDS = ['from', 'to', 'district', 'channel', 'answer'] as const;
/** Read by the locale middleware on every page. */
const EVERYWHERE = ['lang'];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isCalendarDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** A 400 naming the field, in the details too so API clients can point at it. */
export class FilterError extends BadRequestError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`Filter field "${field}": ${problem}`, { details: [{ pointer: `/query/${field}`, message: problem }] });
  }
}

/** One value of a query field, or undefined when absent or empty (an "any" choice in the filter form). */
export function scalarField(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new FilterError(name, 'expected a single value.');
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * The filter in `query`, checked against this survey and bureau. `otherFields` are the route's own query
 * fields (checked by the route); anything else is refused.
 */
export function readFilter(query: Record<string, unknown>, questions: readonly Question[], bureau: Pick<Bureau, 'districts'>, otherFields: readonly string[] = []): DashboardFilter {
  const known = new Set<string>([...FILTER_FIELDS, ...EVERYWHERE, ...otherFields]);
  for (const name of Object.keys(query)) {
    if (!known.has(name)) throw new FilterError(name, `unknown field; the filter fields are ${FILTER_FIELDS.join(', ')}.`);
    // Repeated names arrive as arrays, and bracket syntax (name[x]=) as objects with the extended parser.
    if (typeof query[name] !== 'string') throw new FilterError(name, 'expected a single value.');
  }
  const filter: DashboardFilter = {};
  const from = scalarField(query, 'from');
  const to = scalarField(query, 'to');
  if (from !== undefined) {
    if (!isCalendarDay(from)) throw new FilterError('from', 'expected a day as YYYY-MM-DD.');
    filter.from = from;
  }
  if (to !== undefined) {
    if (!isCalendarDay(to)) throw new FilterError('to', 'expected a day as YYYY-MM-DD.');
    filter.to = to;
  }
  if (filter.from && filter.to && filter.from > filter.to) throw new FilterError('to', 'is before "from".');
  const district = scalarField(query, 'district');
  if (district !== undefined) {
    if (!bureau.districts.some((d) => d.id === district)) throw new FilterError('district', `"${district}" is not a district of this bureau.`);
    filter.district = district;
  }
  const channel = scalarField(query, 'channel');
  if (channel !== undefined) {
    if (!(CHANNELS as readonly string[]).includes(channel)) throw new FilterError('channel', `expected one of ${CHANNELS.join(', ')}.`);
    filter.channel = channel as Channel;
  }
  const answer = scalarField(query, 'answer');
  if (answer !== undefined) {
    const [questionId = '', ...rest] = answer.split(':');
    const value = rest.join(':');
    const question = questions.find((q) => q.id === questionId);
    if (!question) throw new FilterError('answer', `expected question:answer, and "${questionId}" is not a question of this survey.`);
    if (question.type === 'text') throw new FilterError('answer', `"${questionId}" is a free-text question; filter on a choice question.`);
    if (!answerValues(question, bureau).includes(value)) throw new FilterError('answer', `"${value}" is not an answer of question "${questionId}".`);
    filter.answer = { question: question.id, value };
  }
  return filter;
}

/** How a ranking counts in a cross-tab, from `?rank=`: its first choice unless asked for every item ranked. */
export function readRankCount(query: Record<string, unknown>): 'first' | 'any' {
  const rank = scalarField(query, 'rank') ?? 'first';
  if (rank !== 'first' && rank !== 'any') throw new FilterError('rank', 'expected "first" or "any".');
  return rank;
}

/** The answers a filter may name: option ids, districts, yes/no, rating values. */
export function answerValues(question: Question, bureau: Pick<Bureau, 'districts'>): string[] {
  const other = 'other' in question && question.other ? [OTHER_OPTION_ID] : [];
  if ('options' in question) return [...question.options.map((o) => o.id), ...other];
  if (question.type === 'district') return [...bureau.districts.map((d) => d.id), ...other];
  if (question.type === 'yes-no') return ['yes', 'no'];
  if (question.type === 'rating') return Array.from({ length: question.scale }, (_, i) => String(i + 1));
  return [];
}

export function isFiltered(filter: DashboardFilter): boolean {
  return Object.keys(filter).length > 0;
}

/** The query string of a filter, for links that keep it. */
export function filterQuery(filter: DashboardFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.from) params.set('from', filter.from);
  if (filter.to) params.set('to', filter.to);
  if (filter.district) params.set('district', filter.district);
  if (filter.channel) params.set('channel', filter.channel);
  if (filter.answer) params.set('answer', `${filter.answer.question}:${filter.answer.value}`);
  return params;
}

/** The response query for a filter: fields that the response indexes (survey, district, channel, day) lead. */
export function responseQuery(surveyId: unknown, filter: DashboardFilter, questions: readonly Question[]): Record<string, unknown> {
  const query: Record<string, unknown> = { survey: surveyId };
  if (filter.district) query.district = filter.district;
  if (filter.channel) query.channel = filter.channel;
  if (filter.from || filter.to) query.day = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) };
  if (filter.answer) {
    const question = questions.find((q) => q.id === filter.answer!.question);
    // Ratings are stored as numbers; everything else as option ids (arrays, rankings included, match any element).
    query[`answers.${filter.answer.question}`] = question?.type === 'rating' ? Number(filter.answer.value) : filter.answer.value;
  }
  return query;
}
