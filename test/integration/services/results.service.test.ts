/**
 * Every base of the ResultsService against numbers computed by hand on seven residents, small-cell protection
 * per question and per cross-tab cell, and the column store kept current with votes stored by another process.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bureau } from '../../../server/models/bureau.model.js';
import type { SurveyResponse } from '../../../server/models/response.model.js';
import type { Survey } from '../../../server/models/survey.model.js';
import { createLogger } from '../../../server/logging/logger.js';
import { ResultsService } from '../../../server/services/results/results.service.js';
import { TallySums } from '../../../server/services/tallies/tally-sums.js';
import { TallyWriter } from '../../../server/services/tallies/tally-writer.js';
import { counterTree, flattenCounters } from '../../../server/services/tallies/tally-increments.js';
import { ResponseStore } from '../../../server/services/voting/response-store.js';
import type { QuestionResult } from '../../../server/services/dashboards/question-results.js';
import { createBureauWithSurvey } from '../../utils/resident.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let survey: Survey;
let bureau: Bureau;
/** The same operation with no small-cell threshold to speak of, to read every base. */
let open: ResultsService;

function response(answers: SurveyResponse['answers'], district: string, day = '2026-11-01', otherText: Record<string, string> = {}): SurveyResponse {
  return {
    _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: new Types.ObjectId().toHexString(), receipt: 'R', answers, otherText,
    submittedAt: new Date(`${day}T04:00:00Z`), day, district, channel: 'web', locale: 'zh-CN', clientHash: null,
  };
}

beforeAll(async () => {
  t = await createTestApp({ MINYI_SMALL_CELL_MIN: '3' });
  ({ survey, bureau } = await createBureauWithSurvey(t.container));
  open = new ResultsService(t.container.dashboards, { smallCellMin: 1, analysisWaitMs: 3000 });
  const residents: SurveyResponse[] = [
    response({ concerns: ['fraud', 'burglary', 'traffic'], district: 'wuxing', safety: 5, victim: 'yes', 'crime-kind': ['theft', 'fraud'], patrols: 'daily' }, 'wuxing'),
    response({ concerns: ['fraud', 'traffic', 'burglary'], district: 'wuxing', safety: 4, victim: 'yes', 'crime-kind': ['theft'], patrols: 'daily' }, 'wuxing'),
    response({ concerns: ['burglary', 'fraud', 'other'], district: 'wuxing', safety: 2, victim: 'yes', 'crime-kind': ['theft', 'other'], patrols: 'weekly' }, 'wuxing', '2026-11-01', { concerns: 'noise', 'crime-kind': 'scam call' }),
    response({ concerns: ['fraud', 'vehicle-theft', 'traffic'], district: 'wuxing', safety: 4, victim: 'no', patrols: 'daily' }, 'wuxing'),
    response({ concerns: ['vehicle-theft', 'fraud', 'traffic'], district: 'nanxun', safety: 3, victim: 'yes', 'crime-kind': ['fraud'] }, 'nanxun', '2026-11-02'),
    response({ concerns: ['vehicle-theft', 'burglary', 'fraud'], district: 'nanxun', safety: 1, victim: 'no' }, 'nanxun', '2026-11-02'),
    response({ concerns: ['traffic', 'fraud', 'burglary'], district: 'other', safety: 5, victim: 'no', patrols: 'rarely' }, 'other', '2026-11-02', { district: 'Anji' }),
  ];
  for (const r of residents) await t.container.responses.store(survey, r);
  await t.container.tallyWriter.drain();
});
afterAll(async () => t?.close());

const byId = (results: QuestionResult[], id: string) => results.find((r) => r.question.id === id)!;
const rowsOf = (result: QuestionResult) => ('rows' in result ? Object.fromEntries(result.rows.map((r) => [r.id, [r.count, r.share === null ? null : Math.round(r.share * 1000) / 10]])) : {});

describe('ResultsService bases', () => {
  it('takes multiple choice shares of respondents, not of selections', async () => {
    const { questions } = await open.results({ survey, bureau, filter: {}, view: 'staff' });
    const kind = byId(questions, 'crime-kind');
    // 4 respondents answered (1, 2, 3, 5) with 6 selections: theft 3/4 = 75%, never 3/6 = 50%.
    expect(kind.base).toEqual({ n: 4, of: 'respondents', counted: 'each-option-chosen', protected: false });
    expect(rowsOf(kind)).toEqual({ theft: [3, 75], fraud: [2, 50], assault: [0, 0], other: [1, 25] });
  });

  it('gives rankings first choices of those who ranked, and Borda points per respondent', async () => {
    const { questions } = await open.results({ survey, bureau, filter: {}, view: 'staff' });
    const ranking = byId(questions, 'concerns');
    if (ranking.kind !== 'ranking') throw new Error('not a ranking');
    expect(ranking.base.counted).toBe('first-choice');
    const fraud = ranking.items.find((i) => i.id === 'fraud')!;
    // First ×3 of 7 = 42.9%; Borda (N = 3): 3+3+3 + 2 (3rd resident) + 2 (5th) + 1 (6th) + 2 (7th) = 16 → 2.29.
    expect(fraud.firstChoice).toBe(3);
    expect(fraud.firstChoiceShare).toBeCloseTo(3 / 7, 10);
    expect(fraud.bordaMean).toBeCloseTo(16 / 7, 10);
    // "Other" ranked third once: 1 point.
    expect(ranking.items.find((i) => i.id === 'other')!.bordaScore).toBe(1);
  });

  it('gives ratings a mean with a 95% t interval, and districts with "other" shares of respondents', async () => {
    const { questions } = await open.results({ survey, bureau, filter: {}, view: 'staff' });
    const safety = byId(questions, 'safety');
    if (safety.kind !== 'rating') throw new Error('not a rating');
    // 5,4,2,4,3,1,5: mean 24/7 = 3.4286; sd = √(13.7143/6) = 1.5119; t(6) = 2.4469 → ±1.3982.
    expect(safety.mean!.mean).toBeCloseTo(3.428571, 5);
    expect(safety.mean!.low).toBeCloseTo(2.0304, 3);
    expect(safety.mean!.high).toBeCloseTo(4.8268, 3);
    expect(rowsOf(byId(questions, 'district'))).toMatchObject({ wuxing: [4, 57.1], nanxun: [2, 28.6], deqing: [0, 0], other: [1, 14.3] });
    // An optional question: 5 of 7 answered, shares of those 5.
    expect(rowsOf(byId(questions, 'patrols'))).toEqual({ daily: [3, 60], weekly: [1, 20], rarely: [1, 20] });
  });

  it('protects each question by its own respondents, whatever the total', async () => {
    // Respondents who said "no" to victim: 3 (4th, 6th, 7th), at the threshold; 2 of them answered patrols.
    const results = await t.container.results.results({ survey, bureau, filter: { answer: { question: 'victim', value: 'no' } }, view: 'staff' });
    expect(results.total).toBe(3);
    expect(results.smallCell).toBe(false);
    const patrols = byId(results.questions, 'patrols');
    expect(patrols.base).toMatchObject({ n: 2, protected: true });
    expect(rowsOf(patrols)).toEqual({ daily: [1, null], weekly: [0, null], rarely: [1, null] });
    const safety = byId(results.questions, 'safety');
    if (safety.kind !== 'rating') throw new Error('not a rating');
    expect(safety.base.protected).toBe(false);
    // 4, 1, 5: mean 3.33.
    expect(safety.mean!.mean).toBeCloseTo(10 / 3, 10);
  });

  it('counts answer filters from the column store exactly as a pass over the responses would', async () => {
    const filters = [
      { answer: { question: 'victim', value: 'yes' } },
      { answer: { question: 'concerns', value: 'burglary' } },
      { answer: { question: 'crime-kind', value: 'other' } },
      { answer: { question: 'safety', value: '5' }, district: 'other' },
      { answer: { question: 'district', value: 'nanxun' }, from: '2026-11-02' },
    ];
    const all = await t.container.models.Response.find({ survey: survey._id }).lean<SurveyResponse[]>();
    for (const filter of filters) {
      const counts = await t.container.dashboards.counts(survey, filter);
      const sums = new TallySums(survey.questions);
      for (const r of all) {
        const answer = r.answers[filter.answer.question];
        const chosen = Array.isArray(answer) ? answer.includes(filter.answer.value) : String(answer) === filter.answer.value;
        if (chosen && (!filter.district || r.district === filter.district) && (!filter.from || r.day >= filter.from)) sums.add(r);
      }
      expect(counts.total).toBe(sums.tally.total ?? 0);
      expect(flattenCounters(counts.questions)).toEqual(flattenCounters(counterTree(sums.tally).questions ?? {}));
    }
  });
});

describe('ResultsService cross-tabs', () => {
  it('takes a multiple-choice column as shares of the row\'s respondents', async () => {
    const table = await open.crossTab({ survey, bureau, filter: {}, rows: 'district', cols: 'crime-kind', view: 'api' });
    const wuxing = table.lines.find((l) => l.id === 'wuxing')!;
    // Wuxing: 3 respondents answered (1, 2, 3): theft 3/3 = 100%, fraud 1/3, other 1/3; not 3/5 selections.
    expect(wuxing.base).toBe(3);
    expect(Object.fromEntries(wuxing.cells.map((c) => [c.id, [c.n, c.rowShare]]))).toEqual({ theft: [3, 1], fraud: [1, 1 / 3], assault: [0, 0], other: [1, 1 / 3] });
    expect(table.lines.find((l) => l.id === 'nanxun')!.base).toBe(1);
    // The 7th resident (district "other") did not answer the question: not in the table.
    expect(table.lines.find((l) => l.id === 'other')!.base).toBe(0);
    expect(table.total).toBe(4);
    expect(table.columns.find((c) => c.id === 'theft')).toMatchObject({ n: 3, share: 0.75 });
    expect(table.cols.counted).toBe('each-option-chosen');
    expect(table.columnsOverlap).toBe(true);
    expect(table.chiSquare).toBeNull();
  });

  it('tests independence of two single-answer questions, warning on small expected counts', async () => {
    const table = await open.crossTab({ survey, bureau, filter: {}, rows: 'district', cols: 'victim', view: 'staff' });
    // Rows 4, 2, 1 (deqing empty, left out); yes 4, no 3 of 7: χ² = 1.8958, df 2, p = exp(−χ²/2) = 0.3876.
    expect(table.chiSquare!.statistic).toBeCloseTo(1.895833, 4);
    expect(table.chiSquare!.df).toBe(2);
    expect(table.chiSquare!.p).toBeCloseTo(Math.exp(-1.895833 / 2), 4);
    expect(table.chiSquare!.warning).toBe(true);
  });

  it('counts a ranking by first choice or at any rank, and gives a rating column its row means', async () => {
    const first = await open.crossTab({ survey, bureau, filter: {}, rows: 'concerns', cols: 'safety', view: 'staff' });
    const fraud = first.lines.find((l) => l.id === 'fraud')!;
    // Fraud first for residents 1, 2, 4: safety 5, 4, 4 → mean 4.33.
    expect(fraud.base).toBe(3);
    expect(fraud.mean!.mean).toBeCloseTo(13 / 3, 10);
    expect(first.rows.counted).toBe('first-choice');
    const any = await open.crossTab({ survey, bureau, filter: {}, rows: 'concerns', cols: 'safety', rank: 'any', view: 'staff' });
    expect(any.lines.find((l) => l.id === 'fraud')!.base).toBe(7);
    expect(any.lines.find((l) => l.id === 'other')!.base).toBe(1);
    expect(any.rows.counted).toBe('any-rank');
  });

  it('hides the share of a small row and of a small cell, keeping n', async () => {
    const table = await t.container.results.crossTab({ survey, bureau, filter: {}, rows: 'district', cols: 'victim', view: 'staff' });
    const wuxing = table.lines.find((l) => l.id === 'wuxing')!;
    // Threshold 3: wuxing yes 3 of 4 = 75% shown; no 1 hidden; nanxun (base 2) hidden whole.
    expect(wuxing.cells.map((c) => [c.id, c.n, c.rowShare, c.protected])).toEqual([['yes', 3, 0.75, false], ['no', 1, null, true]]);
    const nanxun = table.lines.find((l) => l.id === 'nanxun')!;
    expect(nanxun.protected).toBe(true);
    expect(nanxun.cells.map((c) => [c.n, c.rowShare])).toEqual([[1, null], [1, null]]);
  });

  it('refuses the same question twice and free-text questions, naming the field', async () => {
    await expect(open.crossTab({ survey, bureau, filter: {}, rows: 'victim', cols: 'victim', view: 'staff' })).rejects.toMatchObject({ status: 400, field: 'cols' });
    await expect(open.crossTab({ survey, bureau, filter: {}, rows: 'advice', cols: 'victim', view: 'staff' })).rejects.toMatchObject({ status: 400, field: 'rows' });
  });
});

describe('the column store', () => {
  it('is kept current with votes of this process and of another one', async () => {
    const filter = { answer: { question: 'victim', value: 'yes' } } as const;
    expect((await t.container.dashboards.counts(survey, filter)).total).toBe(4);
    // This process: the tally writer hands the stored batch to the store.
    await t.container.responses.store(survey, response({ victim: 'yes', safety: 3 }, 'deqing', '2026-11-02'));
    await t.container.tallyWriter.drain();
    expect((await t.container.dashboards.counts(survey, filter)).total).toBe(5);
    // Another process (its own tally writer and response store, same database): the store learns from the tally.
    const logger = createLogger('silent');
    const writer = new TallyWriter(t.container.models, t.container.tallies, { logger, flushIntervalMs: 0 });
    const store = new ResponseStore(t.container.models, writer, { logger, idFor: () => new Types.ObjectId() });
    await store.store(survey, response({ victim: 'yes', safety: 2 }, 'deqing', '2026-11-03'));
    await store.store(survey, response({ victim: 'yes', safety: 1 }, 'wuxing', '2026-11-02'));
    await writer.drain();
    t.container.tallies.clear();
    const counts = await t.container.dashboards.counts(survey, filter);
    expect(counts.total).toBe(7);
    expect(counts.questions.safety!.options).toEqual({ '5': 1, '4': 1, '3': 2, '2': 2, '1': 1 });
    expect(counts.byDay).toEqual({ '2026-11-01': 3, '2026-11-02': 3, '2026-11-03': 1 });
  });
});
