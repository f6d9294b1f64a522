import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';

let t: TestApp;
let path: string;

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '3' });
});
beforeEach(async () => {
  await t.reset();
  ({ path } = await createBureauWithSurvey(t.container));
});
afterAll(async () => t?.close());

const results = async (lang = 'en') => {
  await t.container.tallyWriter.drain();
  return request(t.app).get(`${path}/results?lang=${lang}`);
};
const rowOf = (html: string, label: string) => new RegExp(`<th scope="row">${label}</th><td class="num">(\\d+)</td><td class="num" data-value="[^"]*">([^<]+)</td>`).exec(html)?.slice(1);

describe('public results', () => {
  it('shows counts and shares that match hand-computed values, and never the free text', async () => {
    // Four residents: safety 5, 4, 4, 1; victim yes (theft), no, no, yes (theft + fraud); first concern fraud ×3, traffic ×1.
    const votes = [
      { safety: '5', victim: 'yes', 'crime-kind': ['theft'], advice: 'SECRET-ADVICE-1' },
      { safety: '4', victim: 'no' },
      { safety: '4', victim: 'no' },
      { safety: '1', victim: 'yes', 'crime-kind': ['theft', 'fraud'], 'concerns.rank.1': 'traffic', 'concerns.rank.2': 'fraud', 'concerns.rank.3': 'burglary' },
    ];
    for (const overrides of votes) expectStatus(await vote(newAgent(t.app), path, validFields(overrides)), 303);
    const page = await results();
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toContain('4 responses');
    // Yes/no: 2 of 4 = 50.0%, Wilson 95% for 2/4 = [15.0%, 85.0%].
    expect(html).toContain('Yes: 50.0% (95% interval 15.0% to 85.0%)');
    // Rating: mean (5+4+4+1)/4 = 3.50; sd = sqrt(((1.5)²+(.5)²+(.5)²+(2.5)²)/3) = 1.7321; t(3) = 3.182 → 3.50 ± 2.76 = [0.74, 6.26].
    expect(html).toContain('Average: 3.50 (95% confidence interval 0.74 to 6.26)');
    // Top two boxes: 3 of 4 = 75.0%.
    expect(html).toMatch(/Satisfied \(4–5\): 75\.0%/);
    // Multiple choice: only the 2 victims saw it, fewer than the threshold (3) although 4 answered the survey:
    // counts shown, percentages hidden, because protection is checked per question.
    expect(rowOf(html, 'Theft')).toEqual(['2', '—']);
    expect(rowOf(html, 'Fraud')).toEqual(['1', '—']);
    expect(html).toContain('Fewer than 3 people answered this question');
    expect(html).toContain('shares add up to more than 100%');
    // Ranking: fraud first ×3 (75.0%), Borda for N=3: fraud 3+3+3+2 = 11 → 2.75 per respondent; traffic 1+1+1+3 = 6 → 1.50.
    expect(html).toMatch(/<td>1<\/td><th scope="row">Telecom fraud<\/th><td class="num">3 \(75\.0%\)<\/td><td class="num" data-value="2\.75">2\.75<\/td>/);
    expect(html).toMatch(/<th scope="row">Traffic safety<\/th><td class="num">1 \(25\.0%\)<\/td><td class="num" data-value="1\.5">1\.50<\/td>/);
    // Free text: counted, not shown.
    expect(html).not.toContain('SECRET-ADVICE');
    expect(html).toContain('4 written answers');
    // Chart.js comes from this server, never a CDN.
    expect(html).toContain('<script src="/static/vendor/chart.umd.min.js" defer>');
    await request(t.app).get('/static/vendor/chart.umd.min.js').expect(200).expect('content-type', /javascript/);
  });

  it('hides percentages when fewer responses than the small-cell minimum', async () => {
    expectStatus(await vote(newAgent(t.app), path, validFields()), 303);
    const html = (await results()).text;
    expect(html).toContain('Fewer than 3 responses: percentages are not shown');
    expect(html).not.toMatch(/\d+\.\d%/);
    expect(html).not.toContain('Average:');
  });

  it('is a 404 when the survey never publishes results; says when when it publishes them after it closes', async () => {
    await t.container.models.Survey.updateOne({ slug: 'every-type' }, { $set: { 'settings.publicResults': 'never' } });
    t.container.directory.invalidate();
    await request(t.app).get(`${path}/results`).expect(404);
    await t.container.models.Survey.updateOne({ slug: 'every-type' }, { $set: { 'settings.publicResults': 'after-close', closesAt: new Date('2099-03-01T04:00:00Z') } });
    t.container.directory.invalidate();
    const pending = await request(t.app).get(`${path}/results?lang=en`).expect(200);
    expect(pending.text).toContain('The results are not published yet');
    // In the bureau's time zone (Asia/Shanghai, UTC+8) and the page's language.
    expect(pending.text).toContain('The survey closes on March 1, 2099 at 12:00 PM; the results will be published here after it closes.');
    expect(pending.text).not.toContain('<table');
    const chinese = await request(t.app).get(`${path}/results?lang=zh-CN`).expect(200);
    expect(chinese.text).toContain('问卷将于 2099年3月1日 12:00 结束');
    const thanks = await vote(newAgent(t.app), `${path}?lang=en`, validFields());
    const page = await newAgent(t.app).get(thanks.headers.location!);
    expect(page.text).toContain('The results will be published when the survey closes.');
    await t.container.models.Survey.updateOne({ slug: 'every-type' }, { $set: { status: 'closed', closesAt: new Date(Date.now() - 1000) } });
    t.container.directory.invalidate();
    await request(t.app).get(`${path}/results`).expect(200);
  });

  it('is linked from the thank-you page when public', async () => {
    const res = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields()), 303);
    const thanks = await newAgent(t.app).get(res.headers.location!).expect(200);
    expect(thanks.text).toContain(`href="${path}/results"`);
  });
});
