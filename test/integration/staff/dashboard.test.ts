import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterTree, flattenCounters } from '../../../server/services/tallies/tally-increments.js';
import { TallySums } from '../../../server/services/tallies/tally-sums.js';
import type { SurveyResponse } from '../../../server/models/response.model.js';
import type { Survey } from '../../../server/models/survey.model.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let survey: Survey;
let analyst: StaffAgent;
const at = '/staff/b/test-bureau/surveys/every-type/results';

/** Responses written as the vote path would (through the tally writer), with chosen days, districts and channels. */
async function addResponse(answers: SurveyResponse['answers'], where: { day: string; district: string; channel?: SurveyResponse['channel'] }) {
  const response: SurveyResponse = {
    _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: new Types.ObjectId().toHexString(), receipt: 'R', answers, otherText: {},
    submittedAt: new Date(`${where.day}T04:00:00Z`), day: where.day, district: where.district, channel: where.channel ?? 'web', locale: 'zh-CN', clientHash: null,
  };
  await t.container.responses.store(survey, response);
}

beforeAll(async () => {
  t = await createTestApp({ MINYI_SMALL_CELL_MIN: '3' });
  ({ survey } = await createBureauWithSurvey(t.container));
  await createBureauWithSurvey(t.container, { slug: 'other-bureau' });
  // Six residents. Wuxing: 4 (3 on 11-01, 1 on 11-02); Nanxun: 2 (11-02, one by phone).
  const rows: Array<[SurveyResponse['answers'], { day: string; district: string; channel?: SurveyResponse['channel'] }]> = [
    [{ concerns: ['fraud', 'burglary', 'traffic'], district: 'wuxing', safety: 5, victim: 'yes', 'crime-kind': ['theft'], advice: '多巡逻 <b>please</b>' }, { day: '2026-11-01', district: 'wuxing' }],
    [{ concerns: ['fraud', 'traffic', 'burglary'], district: 'wuxing', safety: 4, victim: 'no', advice: '夜间多巡逻' }, { day: '2026-11-01', district: 'wuxing' }],
    [{ concerns: ['burglary', 'fraud', 'traffic'], district: 'wuxing', safety: 2, victim: 'no' }, { day: '2026-11-01', district: 'wuxing' }],
    [{ concerns: ['fraud', 'vehicle-theft', 'traffic'], district: 'wuxing', safety: 4, victim: 'yes', 'crime-kind': ['theft', 'fraud'] }, { day: '2026-11-02', district: 'wuxing' }],
    [{ concerns: ['vehicle-theft', 'fraud', 'traffic'], district: 'nanxun', safety: 3, victim: 'no', advice: 'more street lights' }, { day: '2026-11-02', district: 'nanxun' }],
    [{ concerns: ['vehicle-theft', 'burglary', 'fraud'], district: 'nanxun', safety: 1, victim: 'yes', 'crime-kind': ['assault'] }, { day: '2026-11-02', district: 'nanxun', channel: 'phone' }],
  ];
  for (const [answers, where] of rows) await addResponse(answers, where);
  await t.container.tallyWriter.drain();
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: survey.bureau }]);
  analyst = await signedInAgent(t.app, 'analyst@test.cn');
});
afterAll(async () => t?.close());

const cell = (html: string, label: string) => new RegExp(`<th scope="row">${label}</th><td class="num">(\\d+)</td><td class="num" data-value="[^"]*">([^<]+)</td>`).exec(html)?.slice(1);

describe('survey dashboard', () => {
  it('shows the headline, responses per day, channels and vote checks', async () => {
    const html = (await analyst.get(`${at}?lang=en`).expect(200)).text;
    expect(html).toMatch(/<span class="big">6<\/span> Responses/);
    expect(html).toMatch(/<th scope="row">2026-11-01<\/th><td class="num" data-value="3">3<\/td>/);
    expect(html).toMatch(/<th scope="row">2026-11-02<\/th><td class="num" data-value="3">3<\/td>/);
    expect(html).toMatch(/<th scope="row">Phone<\/th><td class="num">1<\/td>/);
    expect(html).toMatch(/<th scope="row">Accepted<\/th><td class="num">6<\/td>/);
  });

  it('gives hand-computed statistics for every question type', async () => {
    const html = (await analyst.get(`${at}?lang=en`).expect(200)).text;
    // Ratings 5,4,2,4,3,1: mean 19/6 = 3.17; sd = 1.4720; t(5) = 2.571 → ±1.545 → [1.62, 4.71]; top two boxes 3/6 = 50.0%.
    expect(html).toContain('Average: 3.17 (95% confidence interval 1.62 to 4.71)');
    expect(html).toMatch(/Satisfied \(4–5\): 50\.0% \(95% interval 18\.8% to 81\.2%\)/);
    // Yes 3 of 6 = 50.0%, Wilson [18.8%, 81.2%].
    expect(html).toContain('Yes: 50.0% (95% interval 18.8% to 81.2%)');
    // Multiple choice among the 3 "yes": theft 2/3 = 66.7%, fraud 1/3, assault 1/3.
    expect(cell(html, 'Theft')).toEqual(['2', '66.7%']);
    expect(cell(html, 'Assault')).toEqual(['1', '33.3%']);
    // Ranking, N = 3: fraud first ×3 = 50.0%; Borda fraud 3+3+2+3+2+1 = 14 → 2.33; vehicle theft 2+3+3 = 8 → 1.33.
    expect(html).toMatch(/<td>1<\/td><th scope="row">Telecom fraud<\/th><td class="num">3 \(50\.0%\)<\/td><td class="num" data-value="2\.3333333333333335">2\.33<\/td>/);
    expect(html).toMatch(/<th scope="row">Vehicle theft<\/th><td class="num">2 \(33\.3%\)<\/td><td class="num" data-value="1\.3333333333333333">1\.33<\/td>/);
    // District: wuxing 4/6 = 66.7%.
    expect(cell(html, 'wuxing District')).toEqual(['4', '66.7%']);
  });

  it('follows district, date, channel and answer filters, kept in the URL', async () => {
    const district = (await analyst.get(`${at}?lang=en&district=wuxing`).expect(200)).text;
    expect(district).toContain('Showing responses that match the filters: 4 of 6.');
    // Wuxing ratings 5,4,2,4: mean 3.75.
    expect(district).toContain('Average: 3.75');
    expect(district).toContain('<option value="wuxing" selected>');
    const day = (await analyst.get(`${at}?lang=en&from=2026-11-02&to=2026-11-02`).expect(200)).text;
    expect(day).toContain('3 of 6');
    const answer = (await analyst.get(`${at}?lang=en&answer=victim:yes`).expect(200)).text;
    expect(answer).toContain('3 of 6');
    // Of the 3 victims, safety 5, 4, 1: mean 3.33.
    expect(answer).toContain('Average: 3.33');
    const phone = (await analyst.get(`${at}?lang=en&channel=phone`).expect(200)).text;
    expect(phone).toContain('1 of 6');
    expect(phone).toContain('Fewer than 3 responses: percentages are not shown');
    expect(phone).not.toContain('Average:');
    // A filter that does not hold is refused, never ignored (which would show every response as if filtered).
    for (const bad of ['district=nowhere', 'from=yesterday', 'answer=$where:1', 'distrct=wuxing']) await analyst.get(`${at}?lang=en&${bad}`).expect(400);
    // A ranking can filter: respondents who ranked vehicle theft at all (4th, 5th and 6th residents).
    const ranked = (await analyst.get(`${at}?lang=en&answer=concerns:vehicle-theft`).expect(200)).text;
    expect(ranked).toContain('3 of 6');
  });

  it('counts date, district and channel filters from day slices exactly as a pass over the responses would', async () => {
    const filters = [
      { district: 'wuxing' }, { district: 'nanxun', channel: 'phone' as const }, { from: '2026-11-02' }, { to: '2026-11-01', district: 'wuxing' },
      { from: '2026-11-01', to: '2026-11-02', channel: 'web' as const }, { from: '2026-12-01' },
    ];
    const sliced = await Promise.all(filters.map((filter) => t.container.dashboards.counts(survey, filter)));
    // The same filters applied to the responses themselves, counted as the tally counts them.
    const responses = await t.container.models.Response.find({ survey: survey._id }).lean();
    filters.forEach((filter, i) => {
      const f: { district?: string; channel?: string; from?: string; to?: string } = filter;
      const sums = new TallySums(survey.questions);
      for (const r of responses) {
        if ((!f.district || r.district === f.district) && (!f.channel || r.channel === f.channel) && (!f.from || r.day >= f.from) && (!f.to || r.day <= f.to)) sums.add(r);
      }
      expect(sliced[i]!.total).toBe(sums.tally.total ?? 0);
      expect(flattenCounters(sliced[i]!.questions)).toEqual(flattenCounters(counterTree(sums.tally).questions ?? {}));
    });
    expect(sliced.map((counts) => counts.total)).toEqual([4, 1, 3, 3, 5, 0]);
    expect(sliced[1]!.questions.safety!.options).toEqual({ '1': 1 });
  });

  it('cross-tabulates two questions with n, the row base and row percentages', async () => {
    const html = (await analyst.get(`${at}?lang=en&rows=district&cols=safety`).expect(200)).text;
    // Wuxing rated 5, 4, 2, 4: base 4; no 1 → 0.0%; every other cell (1 or 2) is under the threshold (3): n shown, share hidden.
    expect(html).toMatch(/<th scope="row">wuxing District<\/th><td class="num" data-base="4">4<\/td><td class="num" data-col="1" data-n="0">0<br><span class="meta">0\.0%<\/span><\/td><td class="num" data-col="2" data-n="1">1<br><span class="meta">—<\/span><\/td>/);
    expect(html).toMatch(/data-col="4" data-n="2">2<br><span class="meta">—<\/span>/);
    expect(html).toMatch(/<th scope="row">All respondents<\/th><td class="num">6<\/td>/);
    // A rating column gives each row's mean with its 95% t interval: wuxing (5+4+2+4)/4 = 3.75, sd 1.2583, t(3) 3.182 → ±2.00.
    expect(html).toContain('3.75 (1.75–5.75)');
    // Nanxun (base 2) is a small row: every percentage hidden.
    expect(html).toMatch(/<th scope="row">nanxun District<\/th><td class="num" data-base="2">2<\/td><td class="num" data-col="1" data-n="1">1<br><span class="meta">—<\/span>/);
    // The corner cell names the rows (axe: no empty header), and the form starts on two different questions.
    expect(html).toContain('<thead><tr><th scope="col">Where do you live?</th>');
    const plain = (await analyst.get(`${at}?lang=en`).expect(200)).text;
    expect(plain).toContain('<option value="district" selected>');
    expect(/<select id="x-cols" name="cols">.*?<option value="([^"]+)" selected>/.exec(plain)?.[1]).not.toBe('district');
    await analyst.get(`${at}?lang=en&rows=district&cols=district`).expect(400);
    await analyst.get(`${at}?lang=en&rows=district&cols=advice`).expect(400);
  });

  it('lists free text newest first, searchable, escaped, with word counts', async () => {
    const page = await analyst.get(`${at}/text/advice?lang=en`).expect(200);
    expect(page.text).toContain('3 match');
    expect(page.text).toContain('多巡逻 &lt;b&gt;please&lt;/b&gt;');
    expect(page.text).not.toContain('<b>please</b>');
    expect(page.text.indexOf('more street lights')).toBeLessThan(page.text.indexOf('夜间多巡逻'));
    expect(page.text).toMatch(/<th scope="row">巡逻<\/th><td class="num">2<\/td>/);
    const searched = await analyst.get(`${at}/text/advice?lang=en&search=LIGHTS`).expect(200);
    expect(searched.text).toContain('1 match');
    await analyst.get(`${at}/text/safety`).expect(404);
  });

  it('prints a report with the filters stated', async () => {
    const html = (await analyst.get(`${at.replace('/results', '/report')}?lang=en&district=wuxing&answer=victim:yes`).expect(200)).text;
    expect(html).toContain('/static/css/report.css');
    expect(html).toContain('Filters: District: wuxing District; Respondents who answered: Were you a victim of crime? &#x3D; Yes');
    expect(html).toContain('2 responses');
    expect(html).not.toContain('class="bureau-nav"');
  });

  it('is for the bureau and planners granted it; other bureaus get 404', async () => {
    await createStaff(t.container, 'outsider@test.cn', [{ role: 'manager', bureau: (await t.container.models.Bureau.findOne({ slug: 'other-bureau' }).lean())!._id }]);
    const outsider = await signedInAgent(t.app, 'outsider@test.cn');
    await outsider.get(at).expect(404);
    await outsider.get(`${at}/text/advice`).expect(404);
    await createStaff(t.container, 'planner@test.cn', [{ role: 'planner', region: 'Zhejiang' }]);
    const planner = await signedInAgent(t.app, 'planner@test.cn');
    await planner.get(at).expect(200);
  });
});
