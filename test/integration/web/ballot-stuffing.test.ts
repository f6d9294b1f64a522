/**
 * A scripted ballot-stuffing attempt from one address, then the integrity report of it on the staff panel, in
 * the read API and (counted vs refused only) on the public results page.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, encodeForm, validFields } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';

const ADDRESS = '203.0.113.7';
const LIMIT = 10;
const SAME_TEXT = '请多巡逻 <b>now</b>';

let t: TestApp;
let survey: Survey;
let path: string;
let analyst: StaffAgent;
const statuses: Record<string, number[]> = {};

/** Posts a form from ADDRESS with a token issued `issuedAgoMs` ago for a fresh browser (or the given one). */
async function post(kind: string, fields: Record<string, string | string[]>, options: { issuedAgoMs?: number; csrf?: string; cookies?: string[]; token?: string; submissionId?: string } = {}) {
  const csrf = options.csrf ?? t.container.tokens.newCsrfCookie();
  const token = options.token ?? t.container.tokens.issue(String(survey._id), csrf, options.submissionId, Date.now() - (options.issuedAgoMs ?? 120_000));
  const res = await request(t.app).post(path).set('X-Forwarded-For', ADDRESS).set('Cookie', [`minyi_csrf=${csrf}`, ...(options.cookies ?? [])].join('; ')).type('form').send(encodeForm({ _form: token, ...fields }));
  (statuses[kind] ??= []).push(res.status);
  return res;
}

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '30', MINYI_TRUST_PROXY: 'true', MINYI_VOTE_RATE_LIMIT: String(LIMIT), MINYI_VOTE_RATE_WINDOW_SECONDS: '3600' });
  ({ survey, path } = await createBureauWithSurvey(t.container));
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: survey.bureau }]);
  analyst = await signedInAgent(t.app, 'analyst@test.cn');

  // Forty posts from one address. Eight sent back with mistakes first: they must not use up the valid quota.
  for (let i = 0; i < 8; i += 1) await post('invalid', validFields({ district: undefined }));
  // Ten valid votes (six with the same free text), then two over the limit.
  const firstCsrf = t.container.tokens.newCsrfCookie();
  const first = await post('valid', validFields({ advice: SAME_TEXT }), { csrf: firstCsrf });
  for (let i = 1; i < 12; i += 1) await post('valid', validFields({ advice: i < 6 ? SAME_TEXT : `意见 ${i}` }));
  // The first browser, holding its "has voted" cookie, sends three new forms.
  const voted = (first.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]!).filter((c) => c.startsWith('mv_'));
  for (let i = 0; i < 3; i += 1) await post('repeated', validFields(), { csrf: firstCsrf, cookies: voted });
  for (let i = 0; i < 5; i += 1) await post('too-fast', validFields(), { issuedAgoMs: 0 });
  for (let i = 0; i < 5; i += 1) await post('honeypot', validFields({ website: 'spam' }));
  for (let i = 0; i < 4; i += 1) await post('forged', validFields(), { token: `forged.${i}` });
  // Three more mistakes: two within their own budget, the third over it.
  for (let i = 0; i < 3; i += 1) await post('invalid-late', validFields({ safety: '99' }));
  await t.container.tallyWriter.drain();
});
afterAll(async () => {
  await t?.container.tallyWriter.drain();
  await t?.close();
});

const row = (html: string, label: string) => new RegExp(`<th scope="row">${label.replace(/[()]/g, '\\$&')}</th><td class="num">(\\d+)</td>`).exec(html)?.[1];

describe('a scripted stuffing attempt from one address', () => {
  it('gets the answer each post deserves; mistakes do not use up the valid quota', () => {
    expect(Object.values(statuses).flat()).toHaveLength(40);
    expect(statuses.invalid).toEqual(Array(8).fill(422));
    expect(statuses.valid).toEqual([...Array(LIMIT).fill(303), 429, 429]);
    expect(statuses.repeated).toEqual([409, 409, 409]);
    expect(statuses['too-fast']).toEqual(Array(5).fill(422));
    expect(statuses.honeypot).toEqual(Array(5).fill(400));
    expect(statuses.forged).toEqual(Array(4).fill(400));
    expect(statuses['invalid-late']).toEqual([422, 422, 429]);
  });

  it('shows counted and refused votes per reason on the staff panel, with bursts and identical texts', async () => {
    const html = (await analyst.get('/staff/b/test-bureau/surveys/every-type/results?lang=en').expect(200)).text;
    expect(row(html, 'Accepted')).toBe('10');
    expect(row(html, 'Duplicates refused')).toBe('3');
    expect(row(html, 'Rate-limited')).toBe('3');
    // Bot refusals count once per address group, reason and 10 minutes, however many are sent.
    expect(row(html, 'Refused as bot: hidden field filled')).toBe('1');
    expect(row(html, 'Refused as bot: faster than the minimum fill time')).toBe('1');
    expect(row(html, 'Refused as bot: forged, expired or foreign form')).toBe('1');
    expect(row(html, 'Sent back with mistakes (rate-limited apart from votes)')).toBe('10');
    expect(row(html, 'Invitation code refused')).toBe('0');
    expect(row(html, 'Address groups refused as bots (any reason)')).toBe('1');
    // One address group, ten votes, shown as a shortened keyed hash.
    expect(html).toMatch(/<th scope="row"><code>[\w-]{10}<\/code><\/th><td class="num">10<\/td>/);
    expect(html).not.toContain(ADDRESS);
    expect(html).toContain('5 free-text answers repeat an earlier one word for word.');
    expect(html).toContain('<th scope="row">请多巡逻 &lt;b&gt;now&lt;/b&gt;</th><td class="num">6</td>');
    expect(html).toContain('For sensitive topics, require invitation codes');
    const zh = (await analyst.get('/staff/b/test-bureau/surveys/every-type/results?lang=zh-CN').expect(200)).text;
    expect(row(zh, '判定为机器人：隐藏字段被填写')).toBe('1');
    expect(zh).toContain('有 5 条文字回答与之前的回答逐字相同。');
  });

  it('gives the same figures in the read API', async () => {
    const body = (await analyst.get('/api/v1/surveys/test-bureau/every-type/results').expect(200)).body;
    expect(body.integrity).toMatchObject({
      counted: 10,
      refused: { duplicate: 3, rateLimited: 3, honeypot: 1, tooFast: 1, badToken: 1, invalid: 10, codeRefused: 0 },
      refusedAddressGroups: 1,
      watch: { repeatedTexts: 5, topTexts: [{ text: SAME_TEXT, count: 6 }], textsTruncated: false },
    });
    expect(body.integrity.watch.busiestGroups).toEqual([{ group: expect.stringMatching(/^[\w-]{10}$/), votes: 10 }]);
    // Ten votes within a minute or two (a minute boundary may fall between them).
    expect(body.integrity.watch.busiestMinutes.reduce((sum: number, m: { votes: number }) => sum + m.votes, 0)).toBe(10);
  });

  it('states counted vs refused on the public results page, without anything identifying', async () => {
    const html = (await request(t.app).get(`${path}/results?lang=en`).expect(200)).text;
    expect(html).toContain('Votes counted and posts refused');
    expect(row(html, 'Votes counted')).toBe('10');
    expect(row(html, 'Refused: second vote or repeated form')).toBe('3');
    expect(row(html, 'Refused: too many posts from one address')).toBe('3');
    expect(row(html, 'Refused as automated: hidden field filled')).toBe('1');
    expect(row(html, 'Sent back with mistakes (not counted)')).toBe('10');
    expect(html).not.toMatch(/<code>[\w-]{10}<\/code>/);
    expect(html).not.toContain('请多巡逻');
  });
});

describe('an invitation-code survey', () => {
  it('counts refused codes and gives no advice to require them', async () => {
    const coded = await createBureauWithSurvey(t.container, { slug: 'coded-bureau', mutate: (d) => { d.settings.votePolicy = 'invitation'; } });
    for (const ip of ['198.51.100.1', '198.51.100.2']) {
      for (let i = 0; i < 3; i += 1) {
        const csrf = t.container.tokens.newCsrfCookie();
        const token = t.container.tokens.issue(String(coded.survey._id), csrf, undefined, Date.now() - 120_000);
        const res = await request(t.app).post(coded.path).set('X-Forwarded-For', ip).set('Cookie', `minyi_csrf=${csrf}`).type('form').send(encodeForm({ _form: token, ...validFields(), code: 'AAAA-BBBB-CCCC-DDDD' }));
        expect(res.status).toBe(422);
      }
    }
    await t.container.tallyWriter.drain();
    await createStaff(t.container, 'coded@test.cn', [{ role: 'analyst', bureau: coded.survey.bureau }]);
    const staff = await signedInAgent(t.app, 'coded@test.cn');
    const html = (await staff.get('/staff/b/coded-bureau/surveys/every-type/results?lang=en').expect(200)).text;
    expect(row(html, 'Invitation code refused')).toBe('2');
    expect(html).not.toContain('require invitation codes');
  });
});
