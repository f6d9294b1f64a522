/**
 * Exports of a survey's responses and results, as CSV (UTF-8 with a byte-order mark, so Excel shows Chinese
 * correctly) and JSON. Responses are streamed from a cursor to the output: a million of them never sit in
 * memory. Cells a spreadsheet would run as a formula are neutralised. No hashed client data is exported.
 */
import { Readable } from 'node:stream';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import { responseQuery, type DashboardFilter } from './dashboard-filter.js';
import type { QuestionResult } from './question-results.js';

export const CSV_BOM = '\uFEFF';

/** A spreadsheet runs a cell starting with = + - @ (or a tab or carriage return) as a formula: prefix it with a quote. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

interface Column {
  header: string;
  value: (response: SurveyResponse) => unknown;
}

/** One column per question, and per option where a question takes several answers (1 when chosen). */
export function responseColumns(questions: readonly Question[]): Column[] {
  const columns: Column[] = [
    { header: 'day', value: (r) => r.day },
    { header: 'district', value: (r) => r.district ?? '' },
    { header: 'channel', value: (r) => r.channel },
    { header: 'language', value: (r) => r.locale },
  ];
  for (const question of questions) {
    const answer = (r: SurveyResponse) => r.answers[question.id];
    const hasOther = 'other' in question && question.other === true;
    if (question.type === 'multiple') {
      const ids = [...question.options.map((o) => o.id), ...(hasOther ? [OTHER_OPTION_ID] : [])];
      for (const id of ids) columns.push({ header: `${question.id}.${id}`, value: (r) => (Array.isArray(answer(r)) ? ((answer(r) as string[]).includes(id) ? 1 : 0) : '') });
    } else if (question.type === 'ranking') {
      for (let rank = 1; rank <= question.rankCount; rank += 1) columns.push({ header: `${question.id}.rank${rank}`, value: (r) => (Array.isArray(answer(r)) ? (answer(r) as string[])[rank - 1] ?? '' : '') });
    } else {
      columns.push({ header: question.id, value: (r) => answer(r) ?? '' });
    }
    if (hasOther) columns.push({ header: `${question.id}.other_text`, value: (r) => r.otherText?.[question.id] ?? '' });
  }
  return columns;
}

export class Exporter {
  constructor(
    private readonly models: Models,
    private readonly options: { sortsInMemory: boolean },
  ) {}

  /**
   * Oldest day first. Response ids carry no time (see response-id.ts), so the day is the order; where sorting
   * would hold every response in the server's memory, insertion order gives the same.
   */
  private cursor(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter) {
    return this.models.Response.find(responseQuery(survey._id, filter, survey.questions), { clientHash: 0, submissionId: 0, receipt: 0 })
      .sort(this.options.sortsInMemory ? {} : { day: 1 })
      .lean<SurveyResponse>()
      .cursor({ batchSize: 1000 });
  }

  responsesCsv(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter): Readable {
    const columns = responseColumns(survey.questions);
    const cursor = this.cursor(survey, filter);
    async function* lines() {
      yield CSV_BOM + csvLine(columns.map((c) => c.header));
      for await (const response of cursor) yield csvLine(columns.map((c) => c.value(response as SurveyResponse)));
    }
    return Readable.from(lines(), { objectMode: false });
  }

  responsesJson(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter): Readable {
    const cursor = this.cursor(survey, filter);
    async function* chunks() {
      yield '[';
      let first = true;
      for await (const raw of cursor) {
        const r = raw as SurveyResponse;
        yield `${first ? '' : ','}\n${JSON.stringify({ day: r.day, district: r.district, channel: r.channel, language: r.locale, answers: r.answers, otherText: r.otherText ?? {} })}`;
        first = false;
      }
      yield '\n]\n';
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /** The aggregated table: one row per question and answer. */
  static resultsRows(results: QuestionResult[]): Array<{ question: string; answer: string; count: number; share: number | null; firstChoice?: number; bordaMean?: number | null }> {
    const rows: Array<{ question: string; answer: string; count: number; share: number | null; firstChoice?: number; bordaMean?: number | null }> = [];
    for (const result of results) {
      if (result.kind === 'text') rows.push({ question: result.question.id, answer: '(answered)', count: result.answered, share: null });
      else if (result.kind === 'ranking') for (const item of result.items) rows.push({ question: result.question.id, answer: item.id, count: item.mentions, share: item.firstChoiceShare, firstChoice: item.firstChoice, bordaMean: item.bordaMean });
      else for (const row of result.rows) rows.push({ question: result.question.id, answer: row.id, count: row.count, share: row.share });
    }
    return rows;
  }

  static resultsCsv(results: QuestionResult[]): string {
    const header = csvLine(['question', 'answer', 'count', 'share', 'first_choice', 'borda_points_per_respondent']);
    return CSV_BOM + header + Exporter.resultsRows(results).map((r) => csvLine([r.question, r.answer, r.count, r.share ?? '', r.firstChoice ?? '', r.bordaMean ?? ''])).join('');
  }
}
