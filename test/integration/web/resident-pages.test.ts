import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, formTokenIn, newAgent, openForm } from '../../utils/resident.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
beforeEach(async () => {
  await t.reset();
});
afterAll(async () => t?.close());

const DAY = 24 * 3600 * 1000;
const withoutRequestId = (html: string) => html.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'ID');

describe('bureau page', () => {
  it('lists open surveys, and closed ones separately', async () => {
    await createBureauWithSurvey(t.container);
    await createBureauWithSurvey(t.container, { mutate: (d) => { d.slug = 'old-one'; d.title.en = 'Last year'; }, status: 'closed', closesAt: new Date(Date.now() - DAY) });
    await createBureauWithSurvey(t.container, { mutate: (d) => { d.slug = 'secret-draft'; d.title.en = 'Draft plans'; }, status: 'draft' });
    const res = await request(t.app).get('/b/test-bureau?lang=en').expect(200);
    expect(res.text).toContain('Test City Police');
    expect(res.text).toContain('href="/b/test-bureau/s/every-type"');
    expect(res.text).toContain('Last year');
    expect(res.text).not.toContain('Draft plans');
  });

  it('answers 404 for an unknown bureau', async () => {
    await request(t.app).get('/b/nowhere').expect(404);
    await request(t.app).get('/b/..%2F..').expect(404);
  });
});

describe('survey page', () => {
  it('serves the form in the survey language by default, with a token, a CSRF cookie and lang set', async () => {
    const { path } = await createBureauWithSurvey(t.container);
    const res = await request(t.app).get(path).expect(200);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toMatch(/name="_form" value="[0-9a-f]{24}\.[0-9a-f]{32}\.\d+\./);
    expect(res.text).toContain('name="concerns.rank.1"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers['set-cookie'])).toMatch(/minyi_csrf=[\w-]{22}; Path=\/; HttpOnly; SameSite=Lax/);
  });

  it('sends the page as UTF-8 HTML: gzipped when asked, without a body for HEAD', async () => {
    const { path } = await createBureauWithSurvey(t.container);
    const plain = await request(t.app).get(path).set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(plain.text));
    const gzipped = await request(t.app).get(path).set('Accept-Encoding', 'gzip').expect(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['content-length']).toBeUndefined();
    expect(gzipped.text).toContain('name="concerns.rank.1"');
    const head = await request(t.app).head(path).expect(200);
    expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(head.text).toBeUndefined();
  });

  it('follows Accept-Language and ?lang=, with a switch to the other language', async () => {
    const { path } = await createBureauWithSurvey(t.container);
    const english = await request(t.app).get(path).set('Accept-Language', 'en').expect(200);
    expect(english.text).toContain('<html lang="en">');
    expect(english.text).toContain('Rank your top 3 concerns');
    // The switch posts the form, so the answers typed so far come along (see the next test).
    expect(english.text).toContain(`<button form="survey-form" formaction="${path}?lang&#x3D;zh-CN" formnovalidate name="_lang" value="zh-CN" lang="zh-CN">中文</button>`);
    const chinese = await request(t.app).get(`${path}?lang=zh-CN`).set('Accept-Language', 'en').expect(200);
    expect(chinese.text).toContain('中文：Rank your top 3 concerns');
  });

  it('switches language keeping the answers typed so far, storing nothing', async () => {
    const { path } = await createBureauWithSurvey(t.container);
    const agent = newAgent(t.app);
    const token = await openForm(agent, `${path}?lang=zh-CN`);
    const page = await agent.post(`${path}?lang=en`).type('form').send(new URLSearchParams({ _form: token, _lang: 'en', victim: 'yes', 'crime-kind': 'fraud', advice: '多巡逻 🚓', district: 'nanxun' }).toString()).expect(200);
    expect(page.text).toContain('<html lang="en">');
    expect(page.text).toMatch(/id="q-victim-input" name="victim" value="yes" checked/);
    expect(page.text).toMatch(/name="crime-kind" value="fraud" checked/);
    expect(page.text).toContain('<option value="nanxun" selected>');
    expect(page.text).toContain('>多巡逻 🚓</textarea>');
    expect(page.text).not.toContain('error-summary');
    // The same submission goes on: the token names the same submission id.
    expect(formTokenIn(page.text).split('.')[1]).toBe(token.split('.')[1]);
    expect(await t.container.models.Response.countDocuments({})).toBe(0);
  });

  it('gives each visitor a fresh submission id', async () => {
    const { path } = await createBureauWithSurvey(t.container);
    const [a, b] = await Promise.all([openForm(newAgent(t.app), path), openForm(newAgent(t.app), path)]);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('renders every question type without JavaScript: radios, checkboxes, rank selects, scale, text, district', async () => {
    const { path } = await createBureauWithSurvey(t.container);
    const html = (await request(t.app).get(`${path}?lang=en`).expect(200)).text;
    expect(html).toContain('<select id="q-concerns-input" name="concerns.rank.1">');
    expect(html).toContain('name="concerns.rank.3"');
    expect(html).toContain('<select id="q-district-input" name="district"');
    expect(html).toMatch(/type="radio" id="q-safety-input" name="safety" value="1"/);
    expect(html).toMatch(/type="checkbox" id="q-crime-kind-input" name="crime-kind" value="theft"/);
    expect(html).toContain('name="crime-kind.other"');
    // 20 characters, as the counter and the server count them; the browser counts UTF-16 units (an emoji is two).
    expect(html).toMatch(/<textarea id="q-advice-input" name="advice" maxlength="40"/);
    expect(html).toContain('data-max="20"');
    expect(html).toContain('Answer only if you answered “Yes” to “Were you a victim of crime?”');
    expect((html.match(/<fieldset/g) ?? []).length).toBe(5);
    expect((html.match(/<legend>/g) ?? []).length).toBe(5);
  });

  it('treats draft and unknown surveys alike: the same 404', async () => {
    const draft = await createBureauWithSurvey(t.container, { status: 'draft' });
    const pages = await Promise.all(
      [draft.path, `${draft.path}/results`, `/embed${draft.path}`, '/b/test-bureau/s/never-existed', '/b/nobody/s/every-type'].map((p) => request(t.app).get(`${p}?lang=en`)),
    );
    for (const page of pages) expect(page.status).toBe(404);
    // Only the request id and the language links (to the same address) may differ.
    const bodies = pages.map((p) => withoutRequestId(p.text).replace(/href="[^"]*lang[^"]*"/g, ''));
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).not.toContain('<form');
  });

  it('says when a scheduled survey opens (a poster printed in advance), in the bureau time zone and the page language', async () => {
    const { path, survey } = await createBureauWithSurvey(t.container, { status: 'scheduled', opensAt: new Date('2099-05-04T01:30:00Z'), closesAt: new Date('2099-06-01T15:59:00Z') });
    // The poster's QR code (the short link) leads there too.
    expect((await request(t.app).get(`/s/${survey.shortCode}`).expect(302)).headers.location).toBe(path);
    const page = await request(t.app).get(`${path}?lang=en`).expect(200);
    expect(page.text).toContain('Test City Police');
    expect(page.text).toContain('This survey opens on May 4, 2099 at 9:30 AM.');
    expect(page.text).toContain('It closes on June 1, 2099 at 11:59 PM.');
    expect(page.text).not.toContain('<form');
    const chinese = await request(t.app).get(`${path}?lang=zh-CN`).expect(200);
    expect(chinese.text).toContain('本问卷将于 2099年5月4日 09:30 开始接受回答。');
    expect(chinese.text).toContain('测试市公安局');
    // Not a vote target yet.
    await request(t.app).post(`${path}?lang=en`).type('form').send('victim=no').expect(409);
    // The embed card, the bureau page and the results page say it too.
    expect((await request(t.app).get(`/embed${path}?lang=en`).expect(200)).text).toContain('This survey opens on May 4, 2099 at 9:30 AM.');
    expect((await request(t.app).get('/b/test-bureau?lang=en').expect(200)).text).toContain('Opens on May 4, 2099 at 9:30 AM');
    expect((await request(t.app).get(`${path}/results?lang=en`).expect(200)).text).toContain('The survey opens on May 4, 2099 at 9:30 AM');
  });

  it('says an archived survey has closed', async () => {
    const { path } = await createBureauWithSurvey(t.container, { status: 'archived', closesAt: new Date('2026-03-01T04:00:00Z') });
    const page = await request(t.app).get(`${path}?lang=en`).expect(200);
    expect(page.text).toContain('closed on March 1, 2026');
    expect(page.text).not.toContain('<form');
  });

  it('opens a scheduled survey once its time has come, without a job', async () => {
    const { path } = await createBureauWithSurvey(t.container, { status: 'scheduled', opensAt: new Date(Date.now() - 1000), closesAt: new Date(Date.now() + DAY) });
    expect((await request(t.app).get(path).expect(200)).text).toContain('<form');
  });

  it('says when a closed survey closed, shows no form, and refuses votes with 409', async () => {
    const closesAt = new Date('2026-03-01T04:00:00Z');
    const { path } = await createBureauWithSurvey(t.container, { status: 'open', opensAt: new Date('2026-01-01'), closesAt });
    const page = await request(t.app).get(`${path}?lang=en`).expect(200);
    expect(page.text).toContain('This survey has closed');
    expect(page.text).toContain('closed on March 1, 2026');
    expect(page.text).not.toContain('<form');
    const chinese = await request(t.app).get(`${path}?lang=zh-CN`).expect(200);
    expect(chinese.text).toContain('2026年3月1日');
    const post = await request(t.app).post(`${path}?lang=en`).type('form').send('victim=no').expect(409);
    expect(post.text).toContain('This survey has closed');
  });
});
