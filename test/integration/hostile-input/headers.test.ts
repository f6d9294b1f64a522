/**
 * Security headers on every kind of answer (resident and staff pages, API, static files, error pages, HEAD
 * and OPTIONS), and the flags of every cookie Minyi sets. probe() applies the same checks to each request of
 * the other hostile-input files; this file makes sure each kind of answer and each cookie is seen at least once.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, encodeForm, formTokenIn, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, STAFF_PASSWORD, type StaffAgent } from '../../utils/staff.js';
import { FUZZ_TEST_TIMEOUT, fuzzParameters, headerProblems, hostileSegment, probe, seenCookies, StoreWatch, type Sent } from '../../utils/hostile.js';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT });

let t: TestApp;
let watch: StoreWatch;
let manager: StaffAgent;
let token: string;
const path = '/b/test-bureau/s/every-type';

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
  const { bureau } = await createBureauWithSurvey(t.container);
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
  ({ token } = await t.container.apiTokens.create(bureau._id, 'fuzz', 'fuzz@test'));
  watch = new StoreWatch(t.container.models);
  await watch.reset();
});
afterAll(async () => {
  await t?.container.tallyWriter.drain();
  await t?.close();
});

type Method = 'get' | 'head' | 'options' | 'post';

async function fetch(method: Method, url: string, options: { agent?: ReturnType<typeof request.agent>; headers?: Record<string, string>; body?: string } = {}) {
  const sent: Sent = { method, url, ...(options.headers ? { headers: options.headers } : {}), ...(options.body !== undefined ? { body: options.body } : {}) };
  return probe(watch, sent, () => {
    const req = (options.agent ?? request(t.app))[method](url).set(options.headers ?? {});
    return options.body !== undefined ? req.type('form').send(options.body) : req;
  });
}

const PAGES = [
  '/', '/b/test-bureau', path, `${path}?lang=en`, `${path}/results`, `/embed${path}`, '/healthz', '/s/abcdefg', '/api/v1/openapi.json',
  '/static/css/minyi.css', '/static/css/staff.css', '/static/js/survey.js', '/static/js/staff.js', '/static/img/favicon.svg', '/static/vendor/chart.umd.min.js',
  '/static/nope.css', '/static/%2e%2e/package.json', '/static/..%2F..%2Fpackage.json', '/no-such-page', '/b/%E0%A4%A', '/b/test-bureau/s/%FF', '/staff/login', '/staff', '/staff/b/test-bureau',
];

describe('security headers', () => {
  it('are on every kind of answer, for every method', async () => {
    for (const url of PAGES) {
      for (const method of ['get', 'head', 'options'] as const) await fetch(method, url);
      await fetch('get', url, { agent: manager });
      await fetch('get', url, { headers: { Accept: 'application/json, text/plain;q=0.5', 'Accept-Encoding': 'gzip' } });
    }
    await fetch('get', '/api/v1/surveys', { headers: { Authorization: `Bearer ${token}` } });
    await fetch('get', '/api/v1/surveys');
    const res = await fetch('get', `/embed${path}`);
    expect(res.status).toBe(200);
    expect(res.headers['x-frame-options']).toBeUndefined();
  });

  it('are on error pages: 400, 403, 404, 405, 413, 415', async () => {
    const agent = newAgent(t.app);
    const form = await fetch('get', path, { agent });
    const formToken = formTokenIn(form.text);
    const statuses = [
      (await fetch('post', path, { agent, body: `_form=${encodeURIComponent(formToken)}&${encodeForm(validFields())}&$where=1` })).status,
      (await fetch('post', path, { body: `_form=${encodeURIComponent(formToken)}&${encodeForm(validFields())}` })).status,
      (await fetch('post', path, { agent, body: `_form=x&advice=${'x'.repeat(70_000)}` })).status,
      (await fetch('post', path, { agent, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=koi8-r' }, body: 'a=b' })).status,
      (await fetch('post', '/staff/login', { body: 'email=x&password=y' })).status,
      (await fetch('post', '/healthz', { body: 'a=b' })).status,
      (await fetch('get', '/b/%E0%A4%A')).status,
    ];
    expect(statuses).toEqual(expect.arrayContaining([400, 403, 404, 413]));
  });

  it('are on hostile paths under every prefix', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/', '/b/', '/static/', '/embed/b/test-bureau/s/', '/staff/', '/staff/b/', '/api/v1/', '/s/'), hostileSegment, fc.boolean(), async (prefix, segment, signedIn) => {
        await fetch('get', `${prefix}${segment}`, signedIn ? { agent: manager } : {});
      }),
      fuzzParameters(20),
    );
  });
});

describe('cookies', () => {
  it('are all HttpOnly and SameSite=Lax: minyi_lang, minyi_csrf, mv_*, minyi_staff_csrf, minyi_sid, minyi_device, and the sign-out that clears minyi_sid', async () => {
    const agent = newAgent(t.app);
    await fetch('get', `${path}?lang=en`, { agent });
    const voted = await vote(agent, path, validFields());
    expect(headerProblems(path, voted)).toEqual([]);
    const staff = request.agent(t.app);
    const login = await fetch('get', '/staff/login', { agent: staff });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
    const signIn = await fetch('post', '/staff/login', { agent: staff, body: new URLSearchParams({ _csrf: csrf, email: 'manager@test.cn', password: STAFF_PASSWORD }).toString() });
    expect(signIn.status).toBe(303);
    const csrfStaff = /name="_csrf" value="([^"]+)"/.exec((await fetch('get', '/staff', { agent: staff })).text)![1]!;
    const failures: string[] = [];
    try {
      await fetch('post', '/staff/logout', { agent: staff, body: `_csrf=${encodeURIComponent(csrfStaff)}` });
    } catch (error) {
      failures.push((error as Error).message);
    }
    expect([...seenCookies.keys()].sort()).toEqual(expect.arrayContaining(['minyi_csrf', 'minyi_device', 'minyi_lang', 'minyi_sid', 'minyi_staff_csrf', 'mv_*']));
    expect(failures).toEqual([]);
    expect(Object.fromEntries(seenCookies)).toEqual({ minyi_csrf: true, minyi_device: true, minyi_lang: true, minyi_sid: true, minyi_staff_csrf: true, 'mv_*': true });
  });
});
