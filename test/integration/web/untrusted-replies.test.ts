/**
 * Replies from the database that cannot be right, injected on the real wire by a proxy: one that cannot be
 * parsed, and a connection whose replies are off by one (each request gets the answer to an earlier one, as
 * seen in production after stalls). The connection pool is reset, the read tried once more, a request never
 * gets a 500 or a wrong 404, and the survey directory's cache is never replaced by what such a read said.
 */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBureauWithSurvey, expectStatus } from '../../utils/resident.js';
import { createStaff, csrfOf, signedInAgent, STAFF_PASSWORD } from '../../utils/staff.js';
import { createTestApp, databaseUriFor, type TestApp } from '../../utils/test-app.js';
import { startWireProxy, type WireCommand, type WireProxy } from '../../utils/wire-proxy.js';

let proxy: WireProxy;
let t: TestApp;
let surveyPath: string;
let bureauSlug: string;

const findIn = (collection: string) => (c: WireCommand) => c.name === 'find' && c.collection === collection;
/** The reply to the health probe: a find that matched nothing, so an out-of-step read gets "no such record". */
const probeReply = (c: WireCommand) => c.name === 'find' && !!c.collection?.startsWith('health_probe_');
/** A reply that is no find reply at all: "BSON element cursor is missing". */
const insertReply = (c: WireCommand) => c.name === 'insert';

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!condition()) throw new Error(`never: ${what}`);
}

beforeAll(async () => {
  proxy = await startWireProxy(databaseUriFor(`minyi_test_wire_${Date.now()}`));
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' }, { databaseUri: proxy.uri });
  const created = await createBureauWithSurvey(t.container);
  surveyPath = created.path;
  bureauSlug = created.bureau.slug;
  await createStaff(t.container, 'manager@test.gov.cn', [{ role: 'manager', bureau: created.bureau._id }]);
}, 60_000);
afterAll(async () => {
  await t?.close().catch(() => {});
  await proxy?.close();
});
beforeEach(async () => {
  proxy.faults = [];
  // One probe, so the proxy holds an empty find reply to answer with.
  await t.container.health.probe();
  t.container.directory.invalidate();
});

describe('a reply that cannot be parsed', () => {
  it('resets the pool and reads again: the resident gets the page', async () => {
    const resets = t.container.health.stats().resets;
    proxy.faults = [{ kind: 'garble', when: findIn('surveys') }];
    const res = await request(t.app).get(surveyPath);
    expect(proxy.faults).toHaveLength(0);
    expectStatus(res, 200);
    expect(t.container.health.stats().resets).toBe(resets + 1);
  });

  it('the reset does not fail the reads of other requests in flight', async () => {
    proxy.faults = [{ kind: 'garble', when: findIn('surveys') }];
    const pages = await Promise.all(Array.from({ length: 16 }, (_, i) => request(t.app).get(i % 2 ? surveyPath : `/b/${bureauSlug}`)));
    expect(proxy.faults).toHaveLength(0);
    expect(pages.map((res) => res.status)).toEqual(pages.map(() => 200));
  });

  it('twice in a row: 503 with Retry-After, never a 500; /healthz says so; the next request is served', async () => {
    proxy.faults = [
      { kind: 'garble', when: findIn('surveys') },
      { kind: 'garble', when: findIn('surveys') },
    ];
    const refused = await request(t.app).get(surveyPath);
    expect(proxy.faults).toHaveLength(0);
    expectStatus(refused, 503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.text).not.toMatch(/Mongo|BSON|at .*\.[jt]s/);
    const health = await request(t.app).get('/healthz');
    expectStatus(health, 503);
    expect(health.body.database.recentFault).toMatch(/survey/);

    expectStatus(await request(t.app).get(surveyPath), 200);
  });

  it('on the API: 503 JSON with Retry-After', async () => {
    const staff = await signedInAgent(t.app, 'manager@test.gov.cn');
    proxy.faults = [
      { kind: 'garble', when: findIn('bureaus') },
      { kind: 'garble', when: findIn('bureaus') },
    ];
    const res = await staff.get(`/api/v1/surveys/${bureauSlug}/${surveyPath.split('/').pop()}`);
    expect(proxy.faults).toHaveLength(0);
    expectStatus(res, 503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body.error.code).toBe('service_unavailable');
  });
});

describe('a connection whose replies are off by one', () => {
  it('a bureau read answered with a survey: the pool is reset, the out-of-step connection closed, every later request right', async () => {
    // A survey reply is needed first: read the survey once through the directory, then forget it.
    expectStatus(await request(t.app).get(surveyPath), 200);
    t.container.directory.invalidate();
    const resets = t.container.health.stats().resets;
    proxy.faults = [{ kind: 'desync', when: findIn('bureaus'), staleFrom: findIn('surveys') }];
    expectStatus(await request(t.app).get(surveyPath), 200);
    expect(proxy.faults).toHaveLength(0);
    expect(t.container.health.stats().resets).toBeGreaterThan(resets);
    await until(() => proxy.faultedConnectionsOpen() === 0, 'the out-of-step connection is closed');

    // Were that connection still in the pool, some of these would get another request's answer.
    for (let i = 0; i < 20; i += 1) {
      t.container.directory.invalidate();
      expectStatus(await request(t.app).get(surveyPath), 200);
      expectStatus(await request(t.app).get(`/b/${bureauSlug}`), 200);
    }
  });

  it('the home page, its bureaus answered with a reply that has no cursor: served, not a 500', async () => {
    proxy.faults = [{ kind: 'desync', when: findIn('bureaus'), staleFrom: insertReply }];
    // An insert reply to answer with: a staff sign-in attempt writes a session.
    await csrfOf(request.agent(t.app));
    const res = await request(t.app).get('/?lang=en');
    expect(proxy.faults).toHaveLength(0);
    expectStatus(res, 200);
    expect(res.text).toContain('Test City Police');
  });

  it('a dashboard whose read of the counts gets a reply with no cursor: read again, the planner gets the page', async () => {
    const staff = await signedInAgent(t.app, 'manager@test.gov.cn');
    const results = `/staff/b/${bureauSlug}/surveys/${surveyPath.split('/').pop()}/results?lang=en`;
    expectStatus(await staff.get(results), 200);
    const resets = t.container.health.stats().resets;
    proxy.faults = [{ kind: 'desync', when: findIn('tally_deltas'), staleFrom: insertReply }];
    // An insert reply to answer with.
    await csrfOf(request.agent(t.app));
    const res = await staff.get(results);
    expect(proxy.faults).toHaveLength(0);
    expectStatus(res, 200);
    expect(t.container.health.stats().resets).toBeGreaterThan(resets);
  });

  it('a sign-in whose account read comes back empty is retried on new connections, not refused', async () => {
    const agent = request.agent(t.app);
    const csrf = await csrfOf(agent);
    proxy.faults = [{ kind: 'desync', when: findIn('users'), staleFrom: findIn('bureaus') }];
    const res = await agent.post('/staff/login').type('form').send({ _csrf: csrf, email: 'manager@test.gov.cn', password: STAFF_PASSWORD });
    expect(proxy.faults).toHaveLength(0);
    expect(res.status).toBe(303);
  });

  it('a known open survey read as missing stays cached and open: never a 404', async () => {
    expectStatus(await request(t.app).get(surveyPath), 200);
    const resets = t.container.health.stats().resets;
    proxy.faults = [{ kind: 'desync', when: findIn('surveys'), staleFrom: probeReply }];
    // Past the directory's refresh age, the next request reads the survey again (in the background or not).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expectStatus(await request(t.app).get(surveyPath), 200);
    await until(() => proxy.faults.length === 0 && t.container.health.stats().resets > resets, 'the empty reply was doubted');
    for (let i = 0; i < 10; i += 1) expectStatus(await request(t.app).get(surveyPath), 200);
  });
});
