/**
 * A database server that hangs (SIGSTOP: it keeps its sockets open and answers nothing): every kind of route
 * answers 503 with Retry-After within the database timeout (plus the monitor's 500 ms check), never a 500;
 * once the server runs again (SIGCONT), every route works, with no wrong answer left behind.
 */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDatabase } from '../../../server/db/resolve-database.js';
import type { RunningDatabase } from '../../../server/db/running-database.js';
import { projectRoot } from '../../../server/paths.js';
import { createBureauWithSurvey, encodeForm, expectStatus, newAgent, openForm, validFields } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let database: RunningDatabase;
let t: TestApp;
let openPath: string;
let otherPath: string;
let bureauSlug: string;
let staff: StaffAgent;

beforeAll(async () => {
  // A FerretDB of this file's own: pausing the run's server would stall every other test file.
  database = await resolveDatabase({ dataDir: '', embedded: 'ferretdb', ephemeral: true, cacheDir: path.join(projectRoot(), '.cache'), log: () => {} });
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' }, { databaseUri: database.uri });
  const first = await createBureauWithSurvey(t.container);
  openPath = first.path;
  bureauSlug = first.bureau.slug;
  otherPath = (await createBureauWithSurvey(t.container, { mutate: (d) => (d.slug = 'other-survey') })).path;
  await createStaff(t.container, 'manager@test.gov.cn', [{ role: 'manager', bureau: first.bureau._id }]);
  staff = await signedInAgent(t.app, 'manager@test.gov.cn');
}, 120_000);
afterAll(async () => {
  database?.resume?.();
  await t?.close().catch(() => {});
  await database?.stop();
});

type Probe = { name: string; send: () => Promise<{ status: number; headers: Record<string, string>; text: string }>; ok: number };

describe('when the database server hangs', () => {
  it('answers every route with 503 and Retry-After within the timeout, then serves them all once it runs again', async () => {
    const resident = newAgent(t.app);
    const token = await openForm(resident, openPath);
    const voteForm = encodeForm({ _form: token, ...validFields() });
    const probes: Probe[] = [
      { name: 'survey page', send: () => request(t.app).get(otherPath), ok: 200 },
      { name: 'vote post', send: () => resident.post(openPath).type('form').send(voteForm), ok: 303 },
      { name: 'staff page', send: () => staff.get(`/staff/b/${bureauSlug}`), ok: 200 },
      { name: 'API', send: () => staff.get('/api/v1/surveys'), ok: 200 },
      { name: 'home', send: () => request(t.app).get('/?lang=en'), ok: 200 },
      { name: 'health', send: () => request(t.app).get('/healthz'), ok: 200 },
    ];
    // A survey page not yet read by this process: the directory has nothing to answer from.
    t.container.directory.invalidate();

    database.pause!();
    const limitMs = t.config.dbTimeoutMs + 5000;
    const answers = await Promise.all(
      probes.map(async (probe) => {
        const started = Date.now();
        const res = await probe.send();
        return { probe, res, ms: Date.now() - started };
      }),
    );
    for (const { probe, res, ms } of answers) {
      expect({ route: probe.name, status: res.status }).toEqual({ route: probe.name, status: 503 });
      expect({ route: probe.name, retryAfter: res.headers['retry-after'] }).toEqual({ route: probe.name, retryAfter: expect.stringMatching(/^\d+$/) });
      expect(res.text).not.toMatch(/Mongo|PoolCleared|at .*\.[jt]s/);
      expect(ms, probe.name).toBeLessThan(limitMs);
    }

    database.resume!();
    let health = 0;
    for (let i = 0; i < 120 && health !== 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      health = (await request(t.app).get('/healthz')).status;
    }
    expect(health).toBe(200);
    for (const probe of probes) expectStatus(await probe.send(), probe.ok);
    // Each page says what it should: nothing read for another request.
    expect((await request(t.app).get(otherPath)).text).toContain('name="_form"');
    expect((await staff.get('/api/v1/surveys')).body.surveys.map((s: { slug: string }) => s.slug).sort()).toEqual(['every-type', 'other-survey']);
    await t.container.tallyWriter.drain();
    expect(await t.container.models.Response.countDocuments()).toBe(1);
  }, 120_000);
});
