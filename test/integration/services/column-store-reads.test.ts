/** The column store reads a survey's responses once, not once per request. */
import { Types } from 'mongoose';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { SurveyResponse } from '../../../server/models/response.model.js';
import type { Survey } from '../../../server/models/survey.model.js';
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
