/** Hostile input against /api/v1: query strings, path parameters, Authorization headers and methods. Every answer is JSON (or CSV). */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { FUZZ_TEST_TIMEOUT, encodeText, FILTER_PAYLOADS, filterValue, fuzzParameters, hostileFilters, hostileForm, hostileHeaders, hostileQuery, hostileSegment, hostileText, probe, StoreWatch, XSS_PAYLOADS, type Sent } from '../../utils/hostile.js';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT });

let t: TestApp;
let watch: StoreWatch;
let token: string;
let manager: StaffAgent;

const QUESTION_IDS = ['concerns', 'district', 'safety', 'victim', 'crime-kind', 'patrols', 'advice'];
const FILTER_NAMES = ['from', 'to', 'district', 'channel', 'answer', 'page', 'lang', 'format', 'limit'];
const ROUTES = ['/api/v1/surveys', '/api/v1/surveys/test-bureau/every-type', '/api/v1/surveys/test-bureau/every-type/results', '/api/v1/surveys/test-bureau/every-type/responses', '/api/v1/surveys/test-bureau/every-type/responses.csv', '/api/v1/surveys/other-bureau/theirs/results', '/api/v1/openapi.json', '/api/v1/no-such-route'];

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  const { bureau } = await createBureauWithSurvey(t.container);
  await createBureauWithSurvey(t.container, { slug: 'other-bureau', mutate: (d) => { d.slug = 'theirs'; } });
  for (const advice of XSS_PAYLOADS.slice(1, 4)) expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ advice: advice.slice(0, 20) })), 303);
  await t.container.tallyWriter.drain();
  ({ token } = await t.container.apiTokens.create(bureau._id, 'fuzz', 'fuzz@test'));
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
  watch = new StoreWatch(t.container.models);
  await watch.reset();
});
afterAll(async () => {
  await t?.container.tallyWriter.drain();
  await t?.close();
});

async function call(method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, options: { authorization?: string; headers?: Record<string, string>; body?: string; type?: string; session?: boolean } = {}) {
  const headers = { ...(options.headers ?? {}), ...(options.authorization !== undefined ? { Authorization: options.authorization } : {}) };
  const sent: Sent = { method, url, headers, ...(options.body !== undefined ? { body: options.body } : {}) };
  const res = await probe(watch, sent, () => {
    const req = (options.session ? manager : request(t.app))[method](url).set(headers);
    return options.body !== undefined ? req.set('Content-Type', options.type ?? 'application/json').send(options.body) : req;
  });
  // API clients get JSON whatever they sent or accept; only a CSV download is CSV.
  const type = String(res.headers['content-type'] ?? '');
  const csv = res.status === 200 && new URL(url, 'http://x').pathname.endsWith('.csv');
  expect(type, `${method} ${url} → ${res.status}`).toMatch(csv ? /^text\/csv/ : /^application\/json/);
  if (!csv && res.status >= 400) expect(res.body?.error?.status, `${method} ${url}`).toBe(res.status);
  return res;
}

describe('API v1 with hostile input', () => {
  it('answers hostile query strings (filters, operators, arrays, broken encoding) on every route', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), hostileQuery(FILTER_NAMES, filterValue(QUESTION_IDS)), hostileHeaders, fc.boolean(), async (route, query, headers, session) => {
        await call('get', `${route}?${query}`, session ? { headers, session } : { headers, authorization: `Bearer ${token}` });
      }),
      fuzzParameters(50),
    );
  });

  it('answers hostile results filters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES.filter((r) => /test-bureau.*(results|responses)/.test(r))), hostileFilters(QUESTION_IDS), async (route, query) => {
        await call('get', `${route}?${query}`, { authorization: `Bearer ${token}` });
      }),
      fuzzParameters(25),
    );
  });

  it('refuses operator-looking filters with 400, never running them as queries nor ignoring them', async () => {
    const failures: string[] = [];
    for (const query of FILTER_PAYLOADS) {
      for (const route of ['results', 'responses', 'responses.csv', 'crosstab?rows=district&cols=victim']) {
        try {
          const res = await call('get', `/api/v1/surveys/test-bureau/every-type/${route}${route.includes('?') ? '&' : '?'}${query}`, { authorization: `Bearer ${token}` });
          expect(res.status, query).toBe(400);
          expect(res.body.error.message, query).toMatch(/^Filter field "/);
        } catch (error) {
          failures.push((error as Error).message.split('\n').slice(0, 2).join(' | '));
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers hostile path parameters', async () => {
    const shapes = [(s: string) => `/api/v1/surveys/${s}`, (s: string) => `/api/v1/surveys/${s}/every-type`, (s: string) => `/api/v1/surveys/test-bureau/${s}`, (s: string) => `/api/v1/surveys/test-bureau/${s}/results`, (s: string) => `/api/v1/surveys/test-bureau/every-type/${s}`, (s: string) => `/api/v1/${s}`];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: shapes.length - 1 }), hostileSegment, async (shape, segment) => {
        await call('get', shapes[shape]!(segment), { authorization: `Bearer ${token}` });
      }),
      fuzzParameters(30),
    );
  });

  it('refuses hostile Authorization headers with a JSON 401', async () => {
    const latin1 = (text: string) => [...text].filter((c) => c.codePointAt(0)! >= 0x20 && c.codePointAt(0)! <= 0xff && c !== '\u007f').join('');
    const authorization = fc.oneof(
      fc.constantFrom('Bearer', 'Bearer ', 'Bearer minyi_', `Bearer ${token}x`, `Bearer  ${token.slice(0, -1)}`, 'Basic YWRtaW46YWRtaW4=', 'Bearer {"$ne":null}', 'Bearer minyi_$ne$ne$ne$ne$ne$ne$ne$ne$ne$ne$ne$ne$ne$ne$ne$ne', 'bearer x', `Bearer ${'A'.repeat(8000)}`),
      hostileText.map((text) => `Bearer ${latin1(text)}`),
      hostileText.map((text) => `Bearer minyi_${latin1(encodeText(text)).slice(0, 32).padEnd(32, '$')}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES.filter((r) => !r.endsWith('openapi.json'))), authorization, async (route, header) => {
        const res = await call('get', route, { authorization: header });
        expect(res.status, header).toBe(401);
      }),
      fuzzParameters(20),
    );
  });

  it('answers other methods with hostile bodies without storing anything', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('post', 'put', 'patch', 'delete') as fc.Arbitrary<'post' | 'put' | 'patch' | 'delete'>, fc.constantFrom(...ROUTES), fc.oneof(hostileForm([['name', 'x']]).map((body) => [body, 'application/x-www-form-urlencoded'] as const), fc.constantFrom(['{"$where":"1","__proto__":{"admin":true}}', 'application/json'] as const, [`${'['.repeat(10000)}${']'.repeat(10000)}`, 'application/json'] as const)), async (method, route, [body, type]) => {
        const res = await call(method, route, { authorization: `Bearer ${token}`, body, type });
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      fuzzParameters(15),
    );
  });
});
