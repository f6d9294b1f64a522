import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { hashClientAddress } from '../../../server/services/voting/client-address.js';
import { dumpDatabase } from '../../utils/database-dump.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { withinScaled } from '../../utils/time.js';
import { createBureauWithSurvey, encodeForm, expectStatus, formTokenIn, newAgent, openForm, validFields, vote } from '../../utils/resident.js';

let t: TestApp;
let survey: Survey;
let path: string;

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
beforeEach(async () => {
  await t.reset();
  ({ survey, path } = await createBureauWithSurvey(t.container));
});
afterAll(async () => t?.close());

const stored = () => t.container.models.Response.countDocuments({ survey: survey._id });
const tally = async () => {
  await t.container.tallyWriter.drain();
  return (await t.container.tallies.get(survey._id))!;
};

describe('a valid vote', () => {
  it('is stored once, counted, and answered with a receipt the resident can keep', async () => {
    const agent = newAgent(t.app);
    const res = expectStatus(await vote(agent, `${path}?lang=en`, validFields()), 303);
    const [, receipt] = /\/thanks\/([0-9A-Z-]+)\?lang=en&sig=[\w-]{16}$/.exec(res.headers.location!)!;
    expect(receipt).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const thanks = await agent.get(res.headers.location!).expect(200);
    expect(thanks.text).toContain(receipt);
    expect(thanks.text).toContain('Thank you for taking part');
    // A made-up receipt, or a real one without its signature, shows no thank-you page.
    await agent.get(res.headers.location!.replace(/sig=[\w-]+/, 'sig=AAAAAAAAAAAAAAAA')).expect(404);
    await agent.get(`${path}/thanks/AAAA-BBBB-CCCC`).expect(404);

    expect(await stored()).toBe(1);
    const response = await t.container.models.Response.findOne({ survey: survey._id }).lean();
    expect(response).toMatchObject({
      receipt,
      answers: { concerns: ['fraud', 'vehicle-theft', 'traffic'], district: 'wuxing', safety: 4, victim: 'no', patrols: 'weekly', advice: '多巡逻 more patrols' },
      district: 'wuxing',
      channel: 'web',
      locale: 'en',
      clientHash: null,
    });
    expect(response!.submittedAt.getUTCMinutes()).toBe(0);
    const counts = await tally();
    expect(counts.total).toBe(1);
    expect(counts.questions.concerns!.ranks!.fraud!['1']).toBe(1);
    expect(counts.integrity.accepted).toBe(1);
  });

  it('marks the browser with a signed, HttpOnly cookie scoped to the survey', async () => {
    const res = expectStatus(await vote(newAgent(t.app), path, validFields()), 303);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(`mv_${String(survey._id)}=`))!;
    expect(cookie).toMatch(/=s%3A[0-9A-Z]{4}-/);
    expect(cookie).toContain(`Path=${path}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
  });

  it('keeps free text exactly as given, and escapes it wherever it is shown', async () => {
    const xss = '<script>alert(1)</script>';
    const agent = newAgent(t.app);
    const refused = expectStatus(await vote(agent, path, validFields({ advice: xss, safety: undefined })), 422);
    expect(refused.text).not.toContain(xss);
    expect(refused.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expectStatus(await vote(agent, path, validFields({ advice: '<b>hi</b> & "q"' })), 303);
    expect((await t.container.models.Response.findOne({ survey: survey._id }).lean())!.answers.advice).toBe('<b>hi</b> & "q"');
  });

  it('ignores answers to a question hidden by its condition', async () => {
    expectStatus(await vote(newAgent(t.app), path, validFields({ victim: 'no', 'crime-kind': ['theft'] })), 303);
    const response = await t.container.models.Response.findOne({ survey: survey._id }).lean();
    expect(response!.answers).not.toHaveProperty('crime-kind');
  });

  it('stores "other, please specify" text with the answer', async () => {
    expectStatus(await vote(newAgent(t.app), path, validFields({ victim: 'yes', 'crime-kind': ['theft', 'other'], 'crime-kind.other': '网络诈骗' })), 303);
    const response = await t.container.models.Response.findOne({ survey: survey._id }).lean();
    expect(response!.answers['crime-kind']).toEqual(['theft', 'other']);
    expect(response!.otherText).toEqual({ 'crime-kind': '网络诈骗' });
  });

  it('stores fifty concurrent votes from fifty browsers, and counts each once', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => vote(newAgent(t.app), path, validFields())));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(303));
    expect(await stored()).toBe(50);
    expect((await tally()).total).toBe(50);
  });
});

describe('one vote per browser', () => {
  it('answers a replayed submission (double click, refresh, retry) with the same receipt and stores one response', async () => {
    const agent = newAgent(t.app);
    const token = await openForm(agent, path);
    const body = encodeForm({ _form: token, ...validFields() });
    // A retry from the same browser before the first answer arrived: no "voted" cookie yet.
    const [first, second] = await Promise.all([agent.post(path).type('form').send(body), agent.post(path).type('form').send(body)]);
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.headers.location).toBe(first.headers.location);
    // A retry after it: the cookie is there, the receipt is the same.
    const third = await agent.post(path).type('form').send(body).expect(303);
    expect(third.headers.location).toBe(first.headers.location);
    expect(await stored()).toBe(1);
    expect((await tally()).total).toBe(1);
  });

  it('refuses a second vote from the same browser with 409 and a clear page', async () => {
    const agent = newAgent(t.app);
    const first = expectStatus(await vote(agent, path, validFields()), 303);
    const receipt = /thanks\/([^?]+)/.exec(first.headers.location!)![1]!;
    const page = await agent.get(`${path}?lang=en`).expect(200);
    expect(page.text).toContain('You have already taken part');
    expect(page.text).not.toContain('<form');
    const token = formTokenIn((await request(t.app).get(path)).text);
    const again = await agent.post(`${path}?lang=en`).type('form').send(encodeForm({ _form: token, ...validFields() }));
    // The token came from another browser, so its CSRF digest does not match this one: that is refused too.
    expect([403, 409]).toContain(again.status);
    const second = expectStatus(await vote(agent, `${path}?lang=en`, validFields(), await openFormIgnoringVoted(agent)), 409);
    expect(second.text).toContain('You have already taken part');
    expect(second.text).toContain(receipt);
    expect(await stored()).toBe(1);
    expect((await tally()).integrity.duplicate).toBeGreaterThanOrEqual(1);
  });
});

/** The form page shows "already taken part" to a browser that voted; a second form comes from a fresh GET with the same CSRF cookie. */
async function openFormIgnoringVoted(agent: ReturnType<typeof newAgent>): Promise<string> {
  const csrf = (agent as unknown as { jar: { getCookie(name: string, access: unknown): { value: string } | undefined } }).jar.getCookie('minyi_csrf', { domain: '127.0.0.1', path: '/', secure: false, script: false });
  const res = await request(t.app).get(path).set('Cookie', `minyi_csrf=${csrf!.value}`).expect(200);
  return formTokenIn(res.text);
}

describe('mistakes', () => {
  const cases: Array<[string, Record<string, string | string[] | undefined>, string]> = [
    ['a missing required answer', { safety: undefined }, 'Choose an answer to “How safe do you feel?”'],
    ['an unknown option', { patrols: 'hourly' }, 'Choose one of the listed answers to “How often do you see patrols?”'],
    ['an unknown district', { district: 'haidian' }, 'Choose one of the listed answers to “Where do you live?”'],
    ['a rating out of range', { safety: '9' }, 'Choose one of the listed answers to “How safe do you feel?”'],
    ['a rating that is not a number', { safety: 'five' }, 'Choose one of the listed answers to “How safe do you feel?”'],
    ['a repeated rank', { 'concerns.rank.2': 'fraud' }, 'Each item can be ranked only once in “Rank your top 3 concerns”'],
    ['too few ranks', { 'concerns.rank.3': undefined }, 'Choose 3 items to rank for “Rank your top 3 concerns”, one per rank'],
    ['ranks out of order', { 'concerns.rank.1': undefined }, 'Fill in the ranks of “Rank your top 3 concerns” in order, starting with rank 1'],
    ['too many choices', { victim: 'yes', 'crime-kind': ['theft', 'fraud', 'assault'] }, 'Choose no more than 2 answers to “Which kind?”'],
    ['a shown conditional question left empty', { victim: 'yes' }, 'Choose at least 1 answer(s) to “Which kind?”'],
    ['"other" without saying what', { district: 'other' }, 'Tell us what “other” means for “Where do you live?”'],
    ['text that is too long', { advice: 'x'.repeat(21) }, 'Your answer to “What should we do first?” must be 20 characters or fewer'],
  ];

  it.each(cases)('%s: 422, error summary linking to the field, answers kept, nothing stored', async (_name, overrides, message) => {
    const res = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields(overrides)), 422);
    expect(res.text).toContain('There is a problem');
    expect(res.text).toContain(message);
    expect(res.text).toMatch(/<title>Error: /);
    expect(res.text).toMatch(/<a href="#q-[a-z-]+-(input|other-text)">/);
    expect(res.text).toMatch(/class="field-error" id="q-[a-z-]+-error"/);
    if (!('district' in overrides)) expect(res.text).toContain('value="wuxing" selected');
    if (!('advice' in overrides)) expect(res.text).toContain('>多巡逻 more patrols</textarea>');
    expect(await stored()).toBe(0);
  });

  it('links an error about the "other" text to that text field', async () => {
    const res = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ district: 'other' })), 422);
    expect(res.text).toContain('<a href="#q-district-other-text">Tell us what “other” means');
  });

  it('gives the messages in Chinese on a Chinese page', async () => {
    const res = expectStatus(await vote(newAgent(t.app), `${path}?lang=zh-CN`, validFields({ safety: undefined })), 422);
    expect(res.text).toContain('请修改以下问题');
    expect(res.text).toContain('请回答“中文：How safe do you feel?”');
  });

  it('counts refused votes as invalid', async () => {
    expectStatus(await vote(newAgent(t.app), path, validFields({ safety: undefined })), 422);
    expect((await tally()).integrity.invalid).toBe(1);
  });
});

describe('forms we did not make', () => {
  const post = async (body: string, type = 'application/x-www-form-urlencoded') => {
    const agent = newAgent(t.app);
    const token = await openForm(agent, path);
    return agent.post(`${path}?lang=en`).set('Content-Type', type).send(`_form=${encodeURIComponent(token)}&${body}`);
  };

  it('refuses $-operator keys with 400 and stores nothing', async () => {
    for (const body of ['victim[$ne]=x', '$where=sleep(1000)', 'answers.$gt=', 'district[$gt]=']) {
      const res = await post(`${encodeForm(validFields())}&${body}`);
      expect(res.status, body).toBe(400);
      expect(res.text).not.toMatch(/at .*\.ts|Mongo/);
    }
    expect(await stored()).toBe(0);
  });

  it('refuses unknown fields and repeated single-value fields with 400', async () => {
    expect((await post(`${encodeForm(validFields())}&admin=1`)).status).toBe(400);
    const repeated = await post(`${encodeForm(validFields())}&victim=yes`);
    expect(repeated.status).toBe(400);
    expect(repeated.text).toContain('The form field &quot;victim&quot; was sent more than once.');
    expect((await post(`${encodeForm(validFields())}&constructor=x`)).status).toBe(400);
    // The form parser drops __proto__ keys; nothing may leak onto Object.prototype.
    const proto = await post(`${encodeForm(validFields())}&__proto__[admin]=1&__proto__=x`);
    expect(proto.status).toBeLessThan(500);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses an oversized body with 413', async () => {
    const res = await post(`${encodeForm(validFields())}&advice=${'x'.repeat(70_000)}`);
    expect(res.status).toBe(413);
  });

  it('refuses JSON and other charsets', async () => {
    expect((await post('{"victim":{"$ne":1}}', 'application/json')).status).toBe(400);
    expect((await post(encodeForm(validFields()), 'application/x-www-form-urlencoded; charset=koi8-r')).status).toBe(415);
  });

  it('survives malformed percent-encoding and invalid UTF-8 without a 500', async () => {
    const broken = await post(`${encodeForm(validFields({ advice: undefined, safety: undefined }))}&advice=%E0%A4%A&safety=%FF`);
    expect(broken.status).toBe(422);
    expect(await stored()).toBe(0);
  });
});

describe('bots and forged forms', () => {
  it('refuses a filled honeypot', async () => {
    const res = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ website: 'http://spam' })), 400);
    expect(res.text).toContain('could not be accepted');
    expect(await stored()).toBe(0);
    expect((await tally()).integrity.refused).toBe(1);
  });

  it('refuses a form without the CSRF cookie it was issued for (403), and a forged token (400)', async () => {
    const agent = newAgent(t.app);
    const token = await openForm(agent, path);
    await request(t.app).post(path).type('form').send(encodeForm({ _form: token, ...validFields() })).expect(403);
    await request(t.app).post(path).set('Cookie', 'minyi_csrf=AAAAAAAAAAAAAAAAAAAAAA').type('form').send(encodeForm({ _form: token, ...validFields() })).expect(403);
    const forged = token.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await agent.post(path).type('form').send(encodeForm({ _form: forged, ...validFields() })).expect(400);
    await agent.post(path).type('form').send(encodeForm(validFields())).expect(400);
    expect(await stored()).toBe(0);
  });

  it('refuses a token issued for another survey', async () => {
    const other = await createBureauWithSurvey(t.container, { mutate: (d) => { d.slug = 'other'; } });
    const agent = newAgent(t.app);
    const token = await openForm(agent, other.path);
    await agent.post(path).type('form').send(encodeForm({ _form: token, ...validFields() })).expect(403);
  });
});

describe('minimum fill time and rate limit', () => {
  it('sends a form posted faster than a person could back with a notice, answers kept', async () => {
    const slow = await createTestApp({ MINYI_MIN_FILL_SECONDS: '3' });
    try {
      const setup = await createBureauWithSurvey(slow.container);
      const res = expectStatus(await vote(newAgent(slow.app), `${setup.path}?lang=en`, validFields()), 422);
      expect(res.text).toContain('That was sent faster than we expect from a person');
      expect(res.text).toContain('value="wuxing" selected');
      expect(await slow.container.models.Response.countDocuments()).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('counts the fill time from the first form served: a mistake fixed and sent at once is accepted', async () => {
    const slow = await createTestApp({ MINYI_MIN_FILL_SECONDS: '2' });
    try {
      const setup = await createBureauWithSurvey(slow.container);
      const resident = newAgent(slow.app);
      const token = await openForm(resident, `${setup.path}?lang=en`);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const mistake = expectStatus(await resident.post(`${setup.path}?lang=en`).type('form').send(encodeForm({ _form: token, ...validFields({ district: undefined }) })), 422);
      const fixed = encodeForm({ _form: formTokenIn(mistake.text), ...validFields() });
      expectStatus(await resident.post(`${setup.path}?lang=en`).type('form').send(fixed), 303);
      expect(await slow.container.models.Response.countDocuments()).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('limits votes per client address and survey with 429 and Retry-After', async () => {
    const limited = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_VOTE_RATE_LIMIT: '2', MINYI_VOTE_RATE_WINDOW_SECONDS: '600' });
    try {
      const setup = await createBureauWithSurvey(limited.container);
      expectStatus(await vote(newAgent(limited.app), setup.path, validFields()), 303);
      expectStatus(await vote(newAgent(limited.app), setup.path, validFields()), 303);
      const third = expectStatus(await vote(newAgent(limited.app), `${setup.path}?lang=en`, validFields()), 429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      // Rolling window: the votes of this window still weigh in the next one, so the wait may pass its end.
      expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(1200);
      expect(third.text).toContain('Too many attempts');
      expect(await limited.container.models.Response.countDocuments()).toBe(2);
      await limited.container.tallyWriter.drain();
      expect((await limited.container.tallies.get(setup.survey._id))!.integrity.rateLimited).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it('counts the IPv6 /56s of one /48 together, with four times the limit', async () => {
    const limited = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_VOTE_RATE_LIMIT: '2', MINYI_TRUST_PROXY: 'true' });
    try {
      const setup = await createBureauWithSurvey(limited.container);
      const statuses: number[] = [];
      for (let n = 1; n <= 5; n += 1) {
        for (let i = 0; i < 2; i += 1) {
          const agent = newAgent(limited.app);
          const token = await openForm(agent, setup.path);
          statuses.push((await agent.post(setup.path).set('X-Forwarded-For', `2001:db8:1:${n}00::${i + 1}`).type('form').send(encodeForm({ _form: token, ...validFields() }))).status);
        }
      }
      expect(statuses).toEqual([303, 303, 303, 303, 303, 303, 303, 303, 429, 429]);
      const other = newAgent(limited.app);
      const token = await openForm(other, setup.path);
      expectStatus(await other.post(setup.path).set('X-Forwarded-For', '2001:db8:2:100::1').type('form').send(encodeForm({ _form: token, ...validFields() })), 303);
    } finally {
      await limited.close();
    }
  });
});

describe('client addresses', () => {
  it('stores no raw client address anywhere, only its salted hash on a confidential survey', async () => {
    // A documentation address (RFC 5737), sent through a trusted proxy header so it is the one Minyi sees.
    const address = '203.0.113.77';
    const app = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_TRUST_PROXY: 'loopback', MINYI_VOTE_RATE_LIMIT: '3' });
    try {
      const setup = await createBureauWithSurvey(app.container, { mutate: (d) => { d.settings.anonymity = 'confidential'; } });
      const fromAddress = () => newAgent(app.app).set('X-Forwarded-For', address) as ReturnType<typeof newAgent>;
      // Everything a resident and a stranger at the staff door can make Minyi store or count for an address:
      // votes, a mistake (on a budget of its own), a vote over the rate limit, failed sign-ins.
      expectStatus(await vote(fromAddress(), setup.path, validFields()), 303);
      expectStatus(await vote(fromAddress(), setup.path, validFields({ safety: undefined })), 422);
      expectStatus(await vote(fromAddress(), setup.path, validFields()), 303);
      expectStatus(await vote(fromAddress(), setup.path, validFields()), 303);
      expectStatus(await vote(fromAddress(), setup.path, validFields()), 429);
      const stranger = fromAddress();
      const csrf = /name="_csrf" value="([^"]+)"/.exec((await stranger.get('/staff/login')).text)![1]!;
      for (let i = 0; i < 2; i += 1) await stranger.post('/staff/login').type('form').send({ _csrf: csrf, email: 'nobody@example.cn', password: 'wrong password' }).expect(401);
      await app.container.tallyWriter.drain();

      const dump = await dumpDatabase(app);
      // What must not: the address in any form a careless change might store it.
      const bytes = Buffer.from(address.split('.').map(Number));
      const forms = [
        address,
        address.split('.').slice(0, 3).join('.'), // a "truncated" address
        bytes.toString('hex'),
        bytes.toString('base64').replace(/=+$/, ''),
        String(bytes.readUInt32BE(0)),
        ...['md5', 'sha1', 'sha256'].flatMap((algorithm) => ['hex', 'base64', 'base64url'].map((encoding) => createHash(algorithm).update(address).digest(encoding as 'hex').replace(/=+$/, ''))),
      ];
      for (const form of forms) expect(dump.toLowerCase(), `the client address as ${form}`).not.toContain(form.toLowerCase());
      // What must be there: the salted hash of this very address (so the header was honoured) on both
      // responses, and the sign-in throttle's entries keyed by it.
      const hash = hashClientAddress(address, app.config.secret);
      expect(await app.container.models.Response.find({ clientHash: hash }).countDocuments()).toBe(3);
      expect(dump).toContain(`login:client:${hash}`);
    } finally {
      await app.close();
    }
  });
});

describe('when the database is down', () => {
  it('answers the vote with 503 and Retry-After (never hangs), never a thank-you page', async () => {
    const down = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
    const setup = await createBureauWithSurvey(down.container);
    const agent = newAgent(down.app);
    const token = await openForm(agent, setup.path);
    await down.container.database.close();
    const res = await withinScaled(agent.post(`${setup.path}?lang=en`).type('form').send(encodeForm({ _form: token, ...validFields() })), 20_000, 'a vote with the database closed');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).toContain('Nothing you sent was recorded');
    expect(res.text).not.toContain('Thank you');
    await down.close();
  });
});
