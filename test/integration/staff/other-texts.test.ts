/** "Other, please specify" texts have their own page per question, like free-text questions. */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let analyst: StaffAgent;
const at = '/staff/b/test-bureau/surveys/every-type/results';
const path = '/b/test-bureau/s/every-type';

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  const { survey } = await createBureauWithSurvey(t.container);
  // 22 "other" kinds of crime (more than a page of 20), one of them markup, some in another district.
  for (let i = 0; i < 22; i += 1) {
    const other = i === 0 ? '<script>alert(1)</script> 冒充客服' : i === 21 ? '网络赌博 newest' : `电信诈骗 ${i}`;
    expectStatus(await vote(newAgent(t.app), path, validFields({ victim: 'yes', 'crime-kind': ['other'], 'crime-kind.other': other, district: i % 2 ? 'nanxun' : 'wuxing' })), 303);
  }
  expectStatus(await vote(newAgent(t.app), path, validFields({ district: 'other', 'district.other': '开发区' })), 303);
  await t.container.tallyWriter.drain();
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: survey.bureau }]);
  analyst = await signedInAgent(t.app, 'analyst@test.cn');
});
afterAll(async () => t?.close());

describe('"other" texts', () => {
  it('are linked from the dashboard and listed newest first, escaped, paged', async () => {
    const dashboard = await analyst.get(`${at}?lang=en`).expect(200);
    expect(dashboard.text).toContain(`href="${at}/text/crime-kind"`);
    expect(dashboard.text).toContain('Read the 22 &quot;other&quot; answers to “Which kind?”');
    const page = await analyst.get(`${at}/text/crime-kind?lang=en`).expect(200);
    expect(page.text).toContain('22 &quot;other&quot; answers, newest first');
    const items = [...page.text.matchAll(/<blockquote>([^<]*)<\/blockquote>/g)].map((m) => m[1]);
    expect(items).toHaveLength(20);
    expect(page.text).toContain('page&#x3D;2');
    const second = await analyst.get(`${at}/text/crime-kind?lang=en&page=2`).expect(200);
    expect([...second.text.matchAll(/<blockquote>([^<]*)<\/blockquote>/g)]).toHaveLength(2);
    const all = page.text + second.text;
    expect(all).toContain('&lt;script&gt;alert(1)&lt;/script&gt; 冒充客服');
    expect(all).not.toContain('<script>alert(1)</script>');
    expect(all).toContain('网络赌博 newest');
  });

  it('are searchable and follow the dashboard filter', async () => {
    const searched = await analyst.get(`${at}/text/crime-kind?lang=en&search=${encodeURIComponent('网络赌博')}`).expect(200);
    expect(searched.text).toContain('1 &quot;other&quot; answers');
    expect(searched.text).toContain('网络赌博 newest');
    const filtered = await analyst.get(`${at}/text/crime-kind?lang=en&district=nanxun`).expect(200);
    expect(filtered.text).toContain('11 &quot;other&quot; answers');
    expect(filtered.text).toContain('type="hidden" name="district" value="nanxun"');
  });

  it('exist for every choice question that offers "other", and only for those', async () => {
    const district = await analyst.get(`${at}/text/district?lang=en`).expect(200);
    expect(district.text).toContain('开发区');
    expect(district.text).toContain('1 &quot;other&quot; answers');
    await analyst.get(`${at}/text/concerns`).expect(200);
    await analyst.get(`${at}/text/patrols`).expect(404); // no "other" option
    await analyst.get(`${at}/text/safety`).expect(404);
    await analyst.get(`${at}/text/advice`).expect(200); // free text as before
  });

  it('are not public: the public results show no free text', async () => {
    const res = await request(t.app).get(`${path}/results`).expect(200);
    expect(res.text).not.toContain('开发区');
    expect(res.text).not.toContain('网络赌博');
  });
});
