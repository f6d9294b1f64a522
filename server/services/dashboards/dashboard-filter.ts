/** The filter of a results view, read from the URL so a view can be shared and bookmarked. */
import type { Bureau } from '../../models/bureau.model.js';
import { CHANNELS, type Channel } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Question } from '../../models/survey-definition.types.js';

export interface DashboardFilter {
  from?: string;
  to?: string;
  district?: string;
  channel?: Channel;
  /** "Respondents who answered `value` to question `question`". */
  answer?: { question: string; value: string };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Keeps only what is well-formed and belongs to this survey; anything else is ignored rather than refused. */
export function readFilter(query: Record<string, unknown>, questions: readonly Question[], bureau: Pick<Bureau, 'districts'>): DashboardFilter {
  const str = (name: string) => (typeof query[name] === 'string' ? (query[name] as string).trim() : '');
  const filter: DashboardFilter = {};
  if (DAY.test(str('from'))) filter.from = str('from');
  if (DAY.test(str('to'))) filter.to = str('to');
  if (bureau.districts.some((d) => d.id === str('district'))) filter.district = str('district');
  if ((CHANNELS as readonly string[]).includes(str('channel'))) filter.channel = str('channel') as Channel;
  const [questionId, ...rest] = str('answer').split(':');
  const value = rest.join(':');
  const question = questions.find((q) => q.id === questionId && q.type !== 'text');
  if (question && answerValues(question, bureau).includes(value)) filter.answer = { question: question.id, value };
  return filter;
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
    // Ratings are stored as numbers; everything else as option ids (arrays match any element).
    query[`answers.${filter.answer.question}`] = question?.type === 'rating' ? Number(filter.answer.value) : filter.answer.value;
  }
  return query;
}
