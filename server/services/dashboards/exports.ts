/**
 * Exports of a survey's responses and results: CSV (UTF-8 with a byte-order mark, so Excel shows Chinese
 * correctly) with labels or codes, an Excel workbook, SPSS syntax for the codes, and JSON. Responses are
 * streamed from a cursor to the output: a million of them never sit in memory. Cells a spreadsheet would run
 * as a formula are neutralised. No hashed client data is exported. Columns: services/exports/export-layout.ts.
 */
import { Readable, type Writable } from 'node:stream';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Locale } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { QuestionTally } from '../../models/tally.model.js';
import { ExportLayout, type ExportedResponse, type Translate } from '../exports/export-layout.js';
import { filterStatement } from '../exports/filter-statement.js';
import { spssSyntax } from '../exports/spss-syntax.js';
import { writeResponsesWorkbook } from '../exports/xlsx-export.js';
import { isFiltered, responseQuery, type DashboardFilter } from './dashboard-filter.js';
import type { QuestionResult } from './question-results.js';

export const CSV_BOM = '\uFEFF';

const EXPORTED_FIELDS = { _id: 0, answers: 1, otherText: 1, day: 1, district: 1, channel: 1, locale: 1 } as const;

/** A spreadsheet runs a cell starting with = + - @ (or a tab or carriage return) as a formula: prefix it with a quote. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

export interface ExportContext {
  survey: Pick<Survey, '_id' | 'slug' | 'questions' | 'title'>;
  bureau: Pick<Bureau, 'districts' | 'name' | 'timezone'>;
  filter: DashboardFilter;
  locale: Locale;
}

export class Exporter {
  constructor(
    private readonly models: Models,
    private readonly translate: Translate,
    private readonly options: { sortsInMemory: boolean },
  ) {}

  layout(context: Pick<ExportContext, 'survey' | 'bureau'>): ExportLayout {
    return new ExportLayout(context.survey.questions, context.bureau, this.translate);
  }

  /**
   * Oldest day first. Response ids carry no time (see response-id.ts), so the day is the order; where sorting
   * would hold every response in the server's memory, insertion order gives the same.
   */
  private cursor(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter) {
    // Only what an export shows: a field added to responses later (or client data) never leaks into one.
    return this.models.Response.find(responseQuery(survey._id, filter, survey.questions), EXPORTED_FIELDS)
      .sort(this.options.sortsInMemory ? {} : { day: 1 })
      .lean<SurveyResponse>()
      .cursor({ batchSize: 1000 });
  }

  /** The responses a filter selects, streamed: the cursor reads the next batch only when this one is used. */
  responses(context: Pick<ExportContext, 'survey' | 'filter'>): AsyncIterable<ExportedResponse> {
    return this.cursor(context.survey, context.filter) as unknown as AsyncIterable<ExportedResponse>;
  }

  /** The filter in words, in the export's language. */
  filterText(context: ExportContext): string[] {
    return filterStatement(context.filter, this.layout(context), context.bureau, context.locale, this.translate);
  }

  /**
   * Raw responses as CSV. `labels`: answers and headers in the chosen language, a multiple choice in one cell,
   * and (when filtered) a first column stating the filter on every row, so a copied sheet still says it.
   * `codes`: SPSS-safe variable names and numeric codes (see the codebook and the .sps file), for analysis tools.
   */
  responsesCsv(context: ExportContext, values: 'labels' | 'codes'): Readable {
    const layout = this.layout(context);
    const filtered = isFiltered(context.filter);
    const statement = filtered ? this.filterText(context).join('; ') : '';
    const columns =
      values === 'codes'
        ? layout.variables.map((v) => ({ header: v.name, value: v.code }))
        : [
            ...(filtered ? [{ header: this.translate(context.locale, 'exports.filterColumn'), value: () => statement }] : []),
            ...layout.labelColumns(context.locale),
          ];
    const responses = this.responses(context);
    async function* lines() {
      yield CSV_BOM + csvLine(columns.map((c) => c.header));
      for await (const response of responses) yield csvLine(columns.map((c) => c.value(response)));
    }
    return Readable.from(lines(), { objectMode: false });
  }

  /** The SPSS syntax that reads `csvFile` (the codes CSV of the same filter) with every label. */
  spssSyntax(context: ExportContext, csvFile: string, exportedAt: string): string {
    const filters = this.filterText(context);
    const t = (key: string) => this.translate(context.locale, key);
    return spssSyntax({
      csvFile,
      variables: this.layout(context).variables,
      locale: context.locale,
      fileLabel: context.survey.title[context.locale],
      about: [
        `${t('exports.about.survey')}: ${context.survey.title[context.locale]} (${context.survey.slug})`,
        `${t('exports.about.bureau')}: ${context.bureau.name[context.locale]}`,
        `${t('exports.about.filters')}: ${filters.length > 0 ? filters.join('; ') : t('dashboard.noFilters')}`,
        `${t('exports.about.exportedAt')}: ${exportedAt}`,
      ],
    });
  }

  /** The workbook, written to `output` as it is made. */
  async responsesXlsx(context: ExportContext, exportedAt: string, output: Writable): Promise<{ rows: number }> {
    return writeResponsesWorkbook({
      layout: this.layout(context),
      locale: context.locale,
      translate: this.translate,
      about: { surveyTitle: context.survey.title[context.locale], bureauName: context.bureau.name[context.locale], filters: this.filterText(context), exportedAt },
      responses: this.responses(context),
      output,
    });
  }

  responsesJson(context: Pick<ExportContext, 'survey' | 'filter'>): Readable {
    const cursor = this.cursor(context.survey, context.filter);
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

  /** The aggregated table: one row per question and answer; shares to three decimals (0.1%). */
  static resultsRows(results: QuestionResult[]): Array<{ question: string; answer: string; count: number; share: number | null; firstChoice?: number; bordaMean?: number | null }> {
    const rows: Array<{ question: string; answer: string; count: number; share: number | null; firstChoice?: number; bordaMean?: number | null }> = [];
    for (const result of results) {
      if (result.kind === 'text') rows.push({ question: result.question.id, answer: '(answered)', count: result.answered, share: null });
      else if (result.kind === 'ranking') for (const item of result.items) rows.push({ question: result.question.id, answer: item.id, count: item.mentions, share: roundShare(item.firstChoiceShare), firstChoice: item.firstChoice, bordaMean: roundTo(item.bordaMean, 2) });
      else for (const row of result.rows) rows.push({ question: result.question.id, answer: row.id, count: row.count, share: roundShare(row.share) });
    }
    return rows;
  }

  /**
   * The aggregated table as CSV, for people: labels in the chosen language, the base (n) of every row, shares
   * as percentages to 0.1, a column saying what each percentage is (a ranking's is its first-choice share),
   * the rank positions of ranking items, and the filter stated when there is one.
   */
  resultsCsv(context: ExportContext, results: QuestionResult[], smallCellMin: number): string {
    const t = (key: string, params?: Record<string, unknown>) => this.translate(context.locale, key, params);
    const layout = this.layout(context);
    const filters = this.filterText(context);
    const maxRank = Math.max(0, ...context.survey.questions.map((q) => (q.type === 'ranking' ? q.rankCount : 0)));
    const ranks = Array.from({ length: maxRank }, (_, i) => i + 1);
    const header = [
      ...(filters.length > 0 ? [t('exports.filterColumn')] : []),
      t('exports.results.question'), t('exports.results.questionId'), t('exports.results.answer'), t('exports.results.answerId'),
      t('exports.results.base'), t('exports.results.count'), t('exports.results.percent'), t('exports.results.measure'),
      t('exports.results.mentions'), t('exports.results.borda'), ...ranks.map((rank) => t('exports.results.rankCount', { rank })),
    ];
    const lines = [csvLine(header)];
    const percent = (share: number | null) => (share === null ? '' : (Math.round(share * 1000) / 10).toFixed(1));
    const hidden = t('exports.results.hidden', { threshold: smallCellMin });
    for (const result of results) {
      const question = result.question;
      const title = question.title[context.locale];
      const line = (answer: string, answerId: string, count: number, share: number | null | undefined, measure: string, extra: unknown[] = []) => {
        const shown = share === undefined ? '' : share === null && result.answered > 0 ? hidden : measure;
        lines.push(csvLine([...(filters.length > 0 ? [filters.join('; ')] : []), title, question.id, answer, answerId, result.answered, count, share === undefined ? '' : percent(share), shown, ...extra]));
      };
      if (result.kind === 'text') line(t('exports.results.answeredText'), '', result.answered, undefined, '');
      else if (result.kind === 'ranking') {
        for (const item of result.items) {
          const byRank = item.byRank;
          line(layout.answerLabel(question, item.id, context.locale), item.id, item.firstChoice, item.firstChoiceShare, t('exports.results.firstChoice'), [
            item.mentions, item.bordaMean === null ? '' : item.bordaMean.toFixed(2), ...ranks.map((rank) => (question.type === 'ranking' && rank <= question.rankCount ? byRank[String(rank)] ?? 0 : '')),
          ]);
        }
      } else {
        const measure = t(result.kind === 'choice' && result.multiple ? 'exports.results.ofRespondentsMultiple' : 'exports.results.ofRespondents');
        for (const row of result.rows) line(layout.answerLabel(question, row.id, context.locale), row.id, row.count, row.share, measure);
      }
    }
    return CSV_BOM + lines.join('');
  }
}

const roundTo = (value: number | null, digits: number) => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);
/** A share to 0.1 percentage point: 0.6103896 → 0.61. */
const roundShare = (value: number | null) => roundTo(value, 3);
