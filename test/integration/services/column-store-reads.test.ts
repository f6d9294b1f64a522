/** The column store reads a survey's responses once, not once per request. */
import { Types } from 'mongoose';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { SurveyResponse } from '../../../server/models/response.model.js';
import type { Survey } from '../../../server/models/survey.model.js';
import { ColumnStore } from '../../../server/services/results/column-store.js';
import { createBureauWithSurvey } from '../../utils/resident.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let survey: Survey;

beforeAll(async () => {
  t = await createTestApp();
  ({ survey } = await createBureauWithSurvey(t.container));
  for (let i = 0; i < 30; i += 1) {
    const response: SurveyResponse = {
      _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: new Types.ObjectId().toHexString(), receipt: 'R',
      answers: { victim: i % 2 ? 'yes' : 'no', safety: 1 + (i % 5), district: 'wuxing' }, otherText: {}, submittedAt: new Date(), day: `2026-11-0${1 + (i % 3)}`, district: 'wuxing', channel: 'web', locale: 'zh-CN', clientHash: null,
    };
    await t.container.responses.store(survey, response);
  }
  await t.container.tallyWriter.drain();
});
afterAll(async () => t?.close());

it('reads the responses once for any number of answer filters and cross-tabs', async () => {
  const find = vi.spyOn(t.container.models.Response, 'find');
  for (let i = 0; i < 5; i += 1) {
    expect((await t.container.dashboards.counts(survey, { answer: { question: 'victim', value: 'yes' } })).total).toBe(15);
    await t.container.results.crossTab({ survey, bureau: { districts: [] }, filter: {}, rows: 'victim', cols: 'safety', view: 'staff' });
  }
  expect(find).toHaveBeenCalledTimes(1);
});

it('does not read a day again while the tally trails this process\'s votes but keeps moving; does once it stops short', async () => {
  let clock = 0;
  const store = new ColumnStore(t.container.models, { now: () => clock });
  const find = vi.spyOn(t.container.models.Response, 'find');
  find.mockClear();
  const tally = (first: number) => ({ total: first + 20, byDay: { '2026-11-01': first, '2026-11-02': 10, '2026-11-03': 10 } });
  await store.columns(survey, tally(10));
  expect(find).toHaveBeenCalledTimes(1);
  // The store holds 10 votes of 2026-11-01; the tally, still folding this process's latest votes, has fewer,
  // and more at every read: a minute and more of steady voting.
  for (const counted of [7, 8, 9]) {
    clock += 61_000;
    await store.columns(survey, tally(counted));
  }
  expect(find).toHaveBeenCalledTimes(1);
  // A tally that stays short for the whole grace means the store holds a vote that is gone: read the day again.
  clock += 61_000;
  await store.columns(survey, tally(9));
  expect(find).toHaveBeenCalledTimes(2);
});
