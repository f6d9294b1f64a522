/**
 * The connection to the database breaking while a vote's response is being inserted (after its pending marker
 * was written): the database confirmed nothing, so the resident must not get a receipt. The same form posted
 * again, once the database answers, is stored and counted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
import { isInsertInto, startCuttingProxy, type CuttingProxy } from '../../utils/net.js';
import { createBureauWithSurvey, encodeForm, expectStatus, newAgent, openForm, validFields } from '../../utils/resident.js';
import { createTestApp, databaseUriFor, type TestApp } from '../../utils/test-app.js';

let proxy: CuttingProxy;
let t: TestApp;
let surveyPath: string;

beforeAll(async () => {
  proxy = await startCuttingProxy(databaseUriFor(`minyi_test_cut_${Date.now()}`), isInsertInto('responses'));
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' }, { databaseUri: proxy.uri });
  ({ path: surveyPath } = await createBureauWithSurvey(t.container));
}, 60_000);
afterAll(async () => {
  await t?.close().catch(() => {});
  await proxy?.close();
});

describe('when the connection breaks during a vote insert', () => {
  it('answers 503 with Retry-After instead of a receipt, and takes the same form once afterwards', async () => {
    const resident = newAgent(t.app);
    const token = await openForm(resident, surveyPath);
    const form = encodeForm({ _form: token, ...validFields() });

    proxy.armed = true;
    const refused = await resident.post(surveyPath).type('form').send(form);
    proxy.armed = false;
    expect(proxy.cuts).toBe(1);
    expectStatus(refused, 503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.text).not.toMatch(/Mongo|\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b/);
    expect(await t.container.models.Response.countDocuments()).toBe(0);

    const accepted = await resident.post(surveyPath).type('form').send(form);
    expectStatus(accepted, 303);
    await t.container.tallyWriter.drain();
    await t.container.tallyWriter.recoverPending(0);
    expect(await t.container.models.Response.countDocuments()).toBe(1);
    expect(await new TallyVerifier(t.container.models, t.container.tallies).verify((await t.container.models.Survey.findOne().lean())!._id)).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
  }, 30_000);
});
