/** Hostile input against the resident pages: query strings, paths, headers, cookies and vote forms. */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, encodeForm, expectStatus, newAgent, validFields, vote, type Agent } from '../../utils/resident.js';
import {
  FUZZ_TEST_TIMEOUT,
  encodeText,
  fuzzParameters,
  hostileCookie,
  hostileForm,
  hostileHeaders,
  hostileQuery,
  hostileSegment,
  hostileText,
  isWellFormed,
  oddBodies,
  probe,
  StoreWatch,
  statusTally,
  XSS_PAYLOADS,
  type Fields,
  type Sent,
  roomForPayloads,
} from '../../utils/hostile.js';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT });

let t: TestApp;
let watch: StoreWatch;
let path: string;
let thanks: string;
let shortCode: string;
let surveyId: string;

const QUERY_NAMES = ['lang', 'code', 'sig', 'page', 'next', 'done', 'search', 'from', 'to', 'district', 'channel', 'answer', 'rows', 'cols'];
const FORM_NAMES = ['_form', 'website', 'code', 'concerns.rank.1', 'concerns.other', 'district', 'district.other', 'safety', 'victim', 'crime-kind', 'crime-kind.other', 'patrols', 'advice'];

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  const open = await createBureauWithSurvey(t.container, { mutate: roomForPayloads });
  path = open.path;
  shortCode = open.survey.shortCode;
  surveyId = String(open.survey._id);
  await createBureauWithSurvey(t.container, { status: 'closed', mutate: (d) => { d.slug = 'closed-one'; } });
  // An invitation survey echoes the code a resident typed (from ?code= or the form).
  const invite = await createBureauWithSurvey(t.container, { mutate: (d) => { d.slug = 'invite'; d.settings.votePolicy = 'invitation'; } });
  await t.container.codes.generate(invite.survey._id, 3);
  const voted = expectStatus(await vote(newAgent(t.app), path, validFields()), 303);
  thanks = voted.headers.location!;
  watch = new StoreWatch(t.container.models);
  await watch.reset();
});
afterAll(async () => {
  if (process.env.FUZZ_STATS) console.log([...statusTally.entries()].sort().map(([k, v]) => `${k}: ${v}`).join('\n'));
  await t?.container.tallyWriter.drain();
  await t?.close();
});

const fields = (record: Record<string, string | string[]>): Fields => Object.entries(record).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, v] as [string, string]) : [[name, value] as [string, string]]));

async function get(agent: Agent | null, url: string, headers: Record<string, string> = {}) {
  const sent: Sent = { method: 'get', url, headers };
  return probe(watch, sent, () => (agent ?? request(t.app)).get(url).set(headers));
}

async function post(agent: Agent, url: string, body: string, type = 'application/x-www-form-urlencoded') {
  const sent: Sent = { method: 'post', url, body, headers: { 'Content-Type': type } };
  return probe(watch, sent, () => agent.post(url).set('Content-Type', type).send(body));
}

/** A fresh browser with the survey form open: its token and the CSRF cookie that goes with it. */
async function openedForm(url = path): Promise<{ agent: Agent; token: string }> {
  const agent = newAgent(t.app);
  const page = await get(agent, url);
  const token = /name="_form" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error(`no form token on ${url} (${page.status})`);
  return { agent, token };
}

describe('resident pages with hostile query strings, headers and cookies', () => {
  it('answer every resident route without a 5xx, a leak, an unescaped echo or a missing header', async () => {
    // Forged "has voted" cookies: unsigned, badly signed, JSON, operator-looking.
    const votedCookie = fc.constantFrom(`s%3A%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.forged`, 'AAAA-BBBB-CCCC', 'j%3A%7B%22%24ne%22%3Anull%7D', 's%3A', '%FF').map((value) => `mv_${surveyId}=${value}`);
    const routes = ['/', '/b/test-bureau', path, '/b/test-bureau/s/invite', `${path}/results`, thanks.split('?')[0]!, thanks, `/s/${shortCode}`, `/embed${path}`, '/healthz', '/b/test-bureau/s/closed-one', '/static/css/minyi.css', '/no-such-page'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), hostileQuery(QUERY_NAMES), hostileHeaders, fc.option(fc.oneof(hostileCookie, votedCookie)), async (route, query, headers, cookie) => {
        const url = `${route}${route.includes('?') ? '&' : '?'}${query}`;
        await get(null, url, { ...headers, ...(cookie ? { Cookie: cookie } : {}) });
      }),
      fuzzParameters(40),
    );
  });

  it('answer hostile path segments in every position', async () => {
    const shapes = [
      (s: string) => `/b/${s}`,
      (s: string) => `/b/test-bureau/s/${s}`,
      (s: string) => `/b/${s}/s/every-type`,
      (s: string) => `${path}/thanks/${s}`,
      (s: string) => `${path}/thanks/${s}?sig=${s}`,
      (s: string) => `/b/test-bureau/s/${s}/results`,
      (s: string) => `/s/${s}`,
      (s: string) => `/embed/b/test-bureau/s/${s}`,
      (s: string) => `/static/${s}`,
      (s: string) => `/static/css/${s}`,
      (s: string) => `/${s}`,
      (s: string) => `/${s}?lang=${s}`,
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: shapes.length - 1 }), hostileSegment, async (shape, segment) => {
        await get(null, shapes[shape]!(segment));
      }),
      fuzzParameters(35),
    );
  });
});

describe('vote forms with hostile fields', () => {
  const bases: Array<(text: string) => Record<string, string | string[]>> = [
    (text) => validFields({ code: text }),
    (text) => validFields({ advice: text }),
    (text) => validFields({ victim: 'yes', 'crime-kind': ['theft', 'other'], 'crime-kind.other': text }),
    (text) => validFields({ district: 'other', 'district.other': text }),
    (text) => validFields({ 'concerns.rank.1': 'other', 'concerns.other': text }),
    (text) => validFields({ patrols: text }),
    (text) => validFields({ safety: text }),
  ];

  it('refuse or accept a mutated form, never storing anything from a refused one', async () => {
    const mutated = fc.tuple(fc.nat({ max: bases.length - 1 }), hostileText).chain(([base, text]) => hostileForm(fields(bases[base]!(text)), { names: FORM_NAMES }).map((body) => ({ base, text, body })));
    await fc.assert(
      fc.asyncProperty(mutated, fc.constantFrom('', '?lang=en', '?lang=zh-CN'), fc.boolean(), async ({ body }, query, invitation) => {
        const at = invitation ? '/b/test-bureau/s/invite' : path;
        const { agent, token } = await openedForm(at);
        const res = await post(agent, `${at}${query}`, `_form=${encodeURIComponent(token)}&${body}`);
        if (res.status === 303) await get(agent, res.headers.location!);
        expect([303, 400, 403, 409, 413, 415, 422], `status ${res.status}`).toContain(res.status);
      }),
      fuzzParameters(30),
    );
  });

  it('store hostile free text and "other" text exactly as given, or send the form back with it escaped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), hostileText, async (base, text) => {
        const { agent, token } = await openedForm(`${path}?lang=en`);
        const form = fields(bases[base]!(text));
        const body = [['_form', token] as [string, string], ...form].map(([name, value]) => `${encodeText(name)}=${encodeText(value)}`).join('&');
        const before = await t.container.models.Response.countDocuments();
        const res = await post(agent, `${path}?lang=en`, body);
        expect([303, 422], `status ${res.status}`).toContain(res.status);
        if (res.status !== 303) return;
        const receipt = /thanks\/([^?]+)/.exec(res.headers.location!)![1]!;
        const stored = await t.container.models.Response.findOne({ receipt }).lean();
        expect(stored, 'the accepted vote is stored').not.toBeNull();
        expect(await t.container.models.Response.countDocuments()).toBe(before + 1);
        const kept = base === 1 ? stored!.answers.advice : Object.values(stored!.otherText ?? {})[0];
        // Well-formed text is kept as sent (line ends normalised, trimmed); text that is not UTF-8 is never lost silently.
        const expected = text.replace(/\r\n/g, '\n').trim();
        // Blank free text is no answer to an optional question.
        if (expected === '') expect(kept).toBeUndefined();
        else if (isWellFormed(text)) expect(kept).toBe(expected);
        else expect(typeof kept).toBe('string');
      }),
      fuzzParameters(20),
    );
  });

  it('send a refused form back with every XSS payload escaped', async () => {
    for (const payload of XSS_PAYLOADS) {
      const { agent, token } = await openedForm();
      // A missing required answer sends the form back with the payload in it.
      const body = [['_form', token], ...fields(validFields({ safety: undefined, advice: payload, district: 'other', 'district.other': payload }))].map(([n, v]) => `${encodeText(n!)}=${encodeText(v!)}`).join('&');
      const res = await post(agent, `${path}?lang=en`, body);
      expect(res.status).toBe(422);
      // An invitation code that does not exist comes back in the code field.
      const invite = await openedForm(`/b/test-bureau/s/invite?code=${encodeText(payload)}`);
      const refused = await post(invite.agent, '/b/test-bureau/s/invite?lang=en', [['_form', invite.token], ...fields(validFields({ code: payload }))].map(([n, v]) => `${encodeText(n!)}=${encodeText(v!)}`).join('&'));
      expect(refused.status).toBe(422);
    }
  });

  it('refuse bodies no survey form sends, and oversized ones, storing nothing', async () => {
    for (const odd of oddBodies(64 * 1024, 400)) {
      const { agent, token } = await openedForm();
      const res = await post(agent, `${path}?lang=en`, odd.type.includes('urlencoded') ? `_form=${encodeURIComponent(token)}&${odd.body}` : odd.body, odd.type);
      expect(res.status, odd.name).toBeGreaterThanOrEqual(400);
      expect(res.status, odd.name).toBeLessThan(500);
    }
    // Just under the limit is read, then refused as too long an answer.
    const { agent, token } = await openedForm();
    const near = await post(agent, `${path}?lang=en`, `_form=${encodeURIComponent(token)}&${encodeForm(validFields({ advice: 'x'.repeat(60_000) }))}`);
    expect(near.status).toBe(422);
  });

  it('refuse every hostile vote to a closed survey, and hostile votes without a token', async () => {
    const closed = '/b/test-bureau/s/closed-one';
    await fc.assert(
      fc.asyncProperty(hostileForm(fields(validFields()), { names: FORM_NAMES }), fc.boolean(), async (body, toClosed) => {
        const agent = newAgent(t.app);
        await get(agent, toClosed ? closed : path);
        const res = await post(agent, toClosed ? closed : path, body);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      fuzzParameters(10),
    );
  });
});
