/**
 * A database server that stops while Minyi runs (not a closed connection): residents who already have the form
 * keep seeing it, their votes get a 503 with Retry-After within the database timeout and nothing is half
 * stored; once the server is back, the same form is accepted.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
import { resolveDatabase } from '../../../server/db/resolve-database.js';
import type { RunningDatabase } from '../../../server/db/running-database.js';
import { projectRoot } from '../../../server/paths.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, encodeForm, expectStatus, newAgent, openForm, validFields } from '../../utils/resident.js';
import { scaled, withinScaled } from '../../utils/time.js';

let database: RunningDatabase;
let t: TestApp;
let surveyPath: string;

beforeAll(async () => {
  // A server of this file's own, of the kind the run uses, so stopping it leaves the other tests alone.
  database = await resolveDatabase({ dataDir: '', embedded: 'auto', ephemeral: true, cacheDir: path.join(projectRoot(), '.cache'), log: () => {} });
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' }, { databaseUri: database.uri });
  ({ path: surveyPath } = await createBureauWithSurvey(t.container));
}, scaled(120_000));
afterAll(async () => {
  await t?.close().catch(() => {});
  await database?.stop();
});

describe('when the database server stops', () => {
  it('answers a vote with 503 and Retry-After (never hangs), then takes the same form once it is back, stored and counted once', async () => {
    const resident = newAgent(t.app);
    const token = await openForm(resident, surveyPath);
    await (database.kill ?? database.stop)();

    expectStatus(await resident.get(surveyPath), 200);
    const refused = await withinScaled(resident.post(surveyPath).type('form').send(encodeForm({ _form: token, ...validFields() })), 20_000, 'a vote with the database server killed');
    expectStatus(refused, 503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.text).not.toMatch(/Mongo|ECONNREFUSED|at .*\.[jt]s/);

    if (!database.restart) return; // a mongod from mongodb-memory-server cannot be started again on its files here
    await database.restart();
    const accepted = await resident.post(surveyPath).type('form').send(encodeForm({ _form: token, ...validFields() }));
    expectStatus(accepted, 303);
    await t.container.tallyWriter.drain();
    expect(await t.container.models.Response.countDocuments()).toBe(1);
    expect(await new TallyVerifier(t.container.models, t.container.tallies).verify((await t.container.models.Survey.findOne().lean())!._id)).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
  }, scaled(60_000));
});
