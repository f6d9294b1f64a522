/** A big survey's answer filters wait for its responses to be read once: the page says how far that read has come. */
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurveyResponse } from '../../../server/models/response.model.js';
import type { Survey } from '../../../server/models/survey.model.js';
import { createBureauWithSurvey } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let survey: Survey;
let analyst: StaffAgent;
const at = '/staff/b/test-bureau/surveys/every-type/results';

beforeAll(async () => {
  // No wait: the first answer filter starts the read and answers at once.
  t = await createTestApp({ MINYI_ANALYSIS_WAIT_SECONDS: '0' });
  ({ survey } = await createBureauWithSurvey(t.container));
  for (let i = 0; i < 12; i += 1) {
    const response: SurveyResponse = {
      _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: new Types.ObjectId().toHexString(), receipt: 'R',
      answers: { victim: i % 3 === 0 ? 'yes' : 'no', district: 'wuxing' }, otherText: {}, submittedAt: new Date(), day: '2026-11-01', district: 'wuxing', channel: 'web', locale: 'zh-CN', clientHash: null,
    };
    await t.container.responses.store(survey, response);
  }
  await t.container.tallyWriter.drain();
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: survey.bureau }]);
  analyst = await signedInAgent(t.app, 'analyst@test.cn');
});
afterAll(async () => t?.close());

describe('the dashboard of a survey whose responses are still being read', () => {
  it('answers an answer filter with 202, the progress and a reload, then with the filtered results', async () => {
    const first = await analyst.get(`${at}?answer=victim:yes&lang=en`);
    expect(first.status).toBe(202);
    expect(first.text).toContain('Preparing answer filters and cross-tabs');
    expect(first.text).toMatch(/<meta http-equiv="refresh" content="5">/);
    expect(first.text).toMatch(/<progress id="preparing-progress" max="12" value="\d+">/);
    expect(first.text).toContain(`href="${at}"`);
    expect(first.text).toContain('class="bureau-nav"');
    // The unfiltered results never wait.
    expect((await analyst.get(`${at}?lang=en`)).status).toBe(200);

    let page = first;
    for (let i = 0; i < 100 && page.status === 202; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      page = await analyst.get(`${at}?answer=victim:yes&lang=en`);
    }
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<span class="big">4<\/span>/);
    expect(page.text).not.toContain('http-equiv="refresh"');
    // A cross-tab of the same survey is ready too.
    expect((await analyst.get(`${at}?rows=district&cols=victim&lang=en`)).status).toBe(200);
  });
});
