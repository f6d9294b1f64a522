/**
 * The one results operation: every number of a survey under a validated filter, for one kind of reader.
 * The dashboard, the public results page, the printable report, the exports and the API call it and only
 * shape what it returns (language, HTML or JSON); none of them counts, labels or protects on its own.
 */
import type { Bureau } from '../../models/bureau.model.js';
import type { LocalizedText, Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { IntegrityCounters, Tally } from '../../models/tally.model.js';
import { answerValues, FilterError, isFiltered, type DashboardFilter, type readRankCount } from '../dashboards/dashboard-filter.js';
import type { Counts, DashboardService } from '../dashboards/dashboard.service.js';
import { questionResults, type QuestionResult } from '../dashboards/question-results.js';
import { meanWithConfidence, smallCellProtected, type MeanSummary } from '../dashboards/statistics.js';
import { answerLabel, answerLabels, labelledAnswers } from './answer-labels.js';
import { chiSquareTest, type ChiSquare } from './chi-square.js';

/** Staff read their bureau's dashboard and report; the public page is for anyone; the API for staff and tokens. */
export type ResultsView = 'staff' | 'public' | 'api';

export interface SurveyResults {
  view: ResultsView;
  filter: DashboardFilter;
  filtered: boolean;
  /** Responses the filter selects. */
  total: number;
  /** Responses of the whole survey. */
  overallTotal: number;
  /** Responses of the whole survey per day: what a cross-tab of the same request checks the column store against. */
  overallByDay: Record<string, number>;
  byDay: Record<string, number>;
  byDistrict: Record<string, number>;
  byChannel: Record<string, number>;
  smallCellThreshold: number;
  /** Fewer selected responses than the threshold. */
  smallCell: boolean;
  questions: QuestionResult[];
  /** Vote checks over every attempt, whatever the filter. */
  integrity: IntegrityCounters;
}

/** How a ranking question counts in a cross-tab: its first choice, or every item ranked. */
export type RankCount = ReturnType<typeof readRankCount>;
export const CROSS_TAB_TYPES: ReadonlySet<Question['type']> = new Set(['single', 'multiple', 'yes-no', 'rating', 'district', 'ranking']);

export interface CrossTabSide {
  id: string;
  type: Question['type'];
  title: LocalizedText;
  /** What puts a respondent in a category: their answer, each option they chose, a ranking's first choice or every item they ranked. */
  counted: 'answer' | 'each-option-chosen' | 'first-choice' | 'any-rank';
}

export interface CrossTabCell {
  id: string;
  n: number;
  /** n / the row's base; null when hidden (small cell) or the row is empty. */
  rowShare: number | null;
  protected: boolean;
}

export interface CrossTabLine {
  id: string;
  label: LocalizedText;
  /** Respondents in this row who answered the column question: what its shares are of. */
  base: number;
  protected: boolean;
  cells: CrossTabCell[];
  /** A rating column: the row's mean with its 95% interval. */
  mean: MeanSummary | null;
}

export interface CrossTabResult {
  filter: DashboardFilter;
  rows: CrossTabSide;
  cols: CrossTabSide;
  /** Respondents who answered both questions (and pass the filter). */
  total: number;
  /** Said with every table: row shares are of the respondents in the row who answered the column question. */
  base: 'respondents-in-row';
  /** A respondent can be in several columns (multiple choice, any rank): row shares may add up to more than 100%. */
  columnsOverlap: boolean;
  rowsOverlap: boolean;
  columns: Array<{ id: string; label: LocalizedText; n: number; share: number | null }>;
  lines: CrossTabLine[];
  /** Independence test, when each respondent is in one row and one column. */
  chiSquare: ChiSquare | null;
  smallCellThreshold: number;
}

export class ResultsService {
  constructor(
    private readonly dashboards: DashboardService,
    private readonly options: { smallCellMin: number; analysisWaitMs: number },
  ) {}

  /**
   * Whether answer filters and cross-tabs of a survey can run now: its responses are read once per process,
   * and a read that takes longer than the caller waits goes on in the background (see ColumnStore.prepare).
   */
  preparePasses(survey: Pick<Survey, '_id' | 'questions'>): ReturnType<DashboardService['preparePasses']> {
    return this.dashboards.preparePasses(survey, this.options.analysisWaitMs);
  }

  /** `tally`: the survey's tally when the caller has just read it (preparePasses), so it is not read again. */
  async results(input: { survey: Pick<Survey, '_id' | 'questions'>; bureau: Pick<Bureau, 'districts'>; filter: DashboardFilter; view: ResultsView; tally?: Tally }): Promise<SurveyResults> {
    const { survey, bureau, filter, view } = input;
    // Anyone may read the public page: it reads day slices only, never a pass over the responses.
    if (view === 'public' && filter.answer) throw new FilterError('answer', 'answer filters are for the bureau\'s dashboard and API; the public page filters by date, district and channel.');
    const { counts, overall, integrity } = await this.dashboards.numbers(survey, filter, input.tally);
    return this.shape(survey, bureau, filter, view, counts, overall, integrity);
  }

  private shape(survey: Pick<Survey, 'questions'>, bureau: Pick<Bureau, 'districts'>, filter: DashboardFilter, view: ResultsView, counts: Counts, overall: Counts, integrity: IntegrityCounters): SurveyResults {
    const threshold = this.options.smallCellMin;
    return {
      view,
      filter,
      filtered: isFiltered(filter),
      total: counts.total,
      overallTotal: overall.total,
      overallByDay: overall.byDay,
      byDay: counts.byDay,
      byDistrict: counts.byDistrict,
      byChannel: counts.byChannel,
      smallCellThreshold: threshold,
      smallCell: smallCellProtected(counts.total, threshold),
      questions: questionResults({ questions: survey.questions, bureau, total: counts.total, tallies: counts.questions, smallCellThreshold: threshold }),
      integrity,
    };
  }

  /** Free-text answers, or "other, please specify" texts, of a question under the filter, newest first (see DashboardService.texts). */
  texts(survey: Pick<Survey, '_id' | 'questions'>, filter: DashboardFilter, questionId: string, options: { page: number; pageSize: number; search?: string; source?: 'answers' | 'otherText' }) {
    return this.dashboards.texts(survey, filter, questionId, options);
  }

  /** The questions that can be crossed, and the two a cross-tab form starts with (different ones, a district first). */
  crossTabChoices(survey: Pick<Survey, 'questions'>): { questions: Question[]; rows: string | null; cols: string | null } {
    const questions = survey.questions.filter((q) => CROSS_TAB_TYPES.has(q.type));
    const rows = questions.find((q) => q.type === 'district') ?? questions[0];
    const cols = questions.find((q) => q !== rows && q.type !== 'district') ?? questions.find((q) => q !== rows);
    return { questions, rows: rows?.id ?? null, cols: cols?.id ?? null };
  }

  /** Every answer a filter can select, question by question (rankings included: "ranked this item"). */
  answerChoices(survey: Pick<Survey, 'questions'>, bureau: Pick<Bureau, 'districts'>): Array<{ question: Question; answers: Array<{ id: string; label: LocalizedText }> }> {
    return survey.questions.filter((q) => q.type !== 'text').map((question) => ({ question, answers: labelledAnswers(question, bureau) }));
  }

  /** A filter in words: one line per field, labels in both languages. */
  describeFilter(survey: Pick<Survey, 'questions'>, bureau: Pick<Bureau, 'districts'>, filter: DashboardFilter): Array<{ field: keyof DashboardFilter; question?: LocalizedText; value: LocalizedText }> {
    const same = (text: string): LocalizedText => ({ 'zh-CN': text, en: text });
    const lines: Array<{ field: keyof DashboardFilter; question?: LocalizedText; value: LocalizedText }> = [];
    if (filter.from) lines.push({ field: 'from', value: same(filter.from) });
    if (filter.to) lines.push({ field: 'to', value: same(filter.to) });
    if (filter.district) lines.push({ field: 'district', value: bureau.districts.find((d) => d.id === filter.district)?.name ?? same(filter.district) });
    if (filter.channel) lines.push({ field: 'channel', value: same(filter.channel) });
    if (filter.answer) {
      const question = survey.questions.find((q) => q.id === filter.answer!.question);
      if (question) lines.push({ field: 'answer', question: question.title, value: answerLabel(question, bureau, filter.answer.value) });
    }
    return lines;
  }

  /**
   * Rows × columns of any two choice questions (districts and rankings included) among the respondents the
   * filter selects who answered both. Every cell has n and its share of the row's base; a row or cell with
   * fewer respondents than the threshold keeps its n and hides its share.
   */
  /** `basis`: the survey's tally totals when the caller has just read them (a dashboard's results), so they are not read again. */
  async crossTab(input: { survey: Pick<Survey, '_id' | 'questions'>; bureau: Pick<Bureau, 'districts'>; filter: DashboardFilter; rows: string; cols: string; rank?: RankCount; view: ResultsView; basis?: Pick<Counts, 'byDay' | 'total'> }): Promise<CrossTabResult> {
    const { survey, bureau, filter } = input;
    const rank = input.rank ?? 'first';
    const find = (field: 'rows' | 'cols', id: string) => {
      const question = survey.questions.find((q) => q.id === id);
      if (!question) throw new FilterError(field, `"${id}" is not a question of this survey.`);
      if (!CROSS_TAB_TYPES.has(question.type)) throw new FilterError(field, `"${id}" is a free-text question; cross a choice, rating, ranking or district question.`);
      return question;
    };
    const rowQuestion = find('rows', input.rows);
    const colQuestion = find('cols', input.cols);
    if (rowQuestion.id === colQuestion.id) throw new FilterError('cols', 'must be another question than "rows".');
    const position = (q: Question) => (q.type === 'ranking' && rank === 'any' ? -1 : 0);
    const { columns, filter: left } = await this.dashboards.columns(survey, filter, input.basis);
    const counts = await columns.crossCounts(left, rowQuestion.id, colQuestion.id, { rows: position(rowQuestion), cols: position(colQuestion) });
    const threshold = this.options.smallCellMin;
    const small = (n: number) => smallCellProtected(n, threshold);
    const order = (q: Question, seen: string[]) => {
      const listed = answerValues(q, bureau);
      return [...listed, ...seen.filter((id) => !listed.includes(id))];
    };
    const rowIds = order(rowQuestion, counts?.rowIds ?? []);
    const colIds = order(colQuestion, counts?.colIds ?? []);
    const rowLabels = answerLabels(rowQuestion, bureau);
    const colLabels = answerLabels(colQuestion, bureau);
    const label = (labels: Map<string, LocalizedText>, id: string) => labels.get(id) ?? { 'zh-CN': id, en: id };
    const total = counts?.total ?? 0;
    const lines: CrossTabLine[] = rowIds.map((id) => {
      const base = counts?.rowBase(id) ?? 0;
      const rowProtected = small(base);
      let mean: MeanSummary | null = null;
      if (colQuestion.type === 'rating' && counts && base > 0 && !rowProtected) {
        const distribution = Object.fromEntries(colIds.map((c) => [c, counts.count(id, c)]));
        mean = meanWithConfidence(distribution);
      }
      return {
        id,
        label: label(rowLabels, id),
        base,
        protected: rowProtected,
        mean,
        cells: colIds.map((c) => {
          const n = counts?.count(id, c) ?? 0;
          const hidden = rowProtected || small(n);
          return { id: c, n, rowShare: hidden || base === 0 ? null : n / base, protected: hidden };
        }),
      };
    });
    const side = (q: Question): CrossTabSide => ({
      id: q.id,
      type: q.type,
      title: q.title,
      counted: q.type === 'multiple' ? 'each-option-chosen' : q.type === 'ranking' ? (rank === 'any' ? 'any-rank' : 'first-choice') : 'answer',
    });
    const rowsSide = side(rowQuestion);
    const colsSide = side(colQuestion);
    const overlaps = (s: CrossTabSide) => s.counted === 'each-option-chosen' || s.counted === 'any-rank';
    const exclusive = !overlaps(rowsSide) && !overlaps(colsSide);
    return {
      filter,
      rows: rowsSide,
      cols: colsSide,
      total,
      base: 'respondents-in-row',
      columnsOverlap: overlaps(colsSide),
      rowsOverlap: overlaps(rowsSide),
      columns: colIds.map((c) => {
        const n = counts?.colBase(c) ?? 0;
        return { id: c, label: label(colLabels, c), n, share: small(total) || small(n) || total === 0 ? null : n / total };
      }),
      lines,
      chiSquare: exclusive && counts && !small(total) ? chiSquareTest(rowIds.map((r) => colIds.map((c) => counts.count(r, c)))) : null,
      smallCellThreshold: threshold,
    };
  }
}
