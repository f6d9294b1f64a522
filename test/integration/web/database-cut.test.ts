/**
 * The connection to the database breaking while a vote's response is being inserted (after its pending marker
 * was written): the database confirmed nothing, so the resident must not get a receipt. Whether or not the
 * insert reached the database, what it stored is counted (stored = counted), and the same form posted again
 * once the database answers gets one receipt and one stored vote.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
import { isInsertInto, startCuttingProxy, type CuttingProxy } from '../../utils/net.js';
import { createBureauWithSurvey, encodeForm, expectStatus, newAgent, openForm, validFields } from '../../utils/resident.js';
import { createTestApp, databaseUriFor, type TestApp } from '../../utils/test-app.js';

let proxy: CuttingProxy;
let t: TestApp;
let surveyPath: string;
let survey: Survey;

beforeAll(async () => {
  proxy = await startCuttingProxy(databaseUriFor(`minyi_test_cut_${Date.now()}`), isInsertInto('responses'));
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' }, { databaseUri: proxy.uri });
}, 60_000);
beforeEach(async () => {
  await t.reset();
  ({ path: surveyPath, survey } = await createBureauWithSurvey(t.container));
});
afterAll(async () => {
  await t?.close().catch(() => {});
  await proxy?.close();
});

const stored = () => t.container.models.Response.countDocuments({ survey: survey._id });
const verify = () => new TallyVerifier(t.container.models, t.container.tallies).verify(survey._id);

/** Posts the form while the proxy cuts the connection carrying the responses' insert. */
async function postCut(cut: CuttingProxy['cut']) {
  const resident = newAgent(t.app);
  const token = await openForm(resident, surveyPath);
  const form = encodeForm({ _form: token, ...validFields() });
  proxy.cut = cut;
  proxy.armed = true;
  const refused = await resident.post(surveyPath).type('form').send(form);
  proxy.armed = false;
  expect(proxy.cuts).toBeGreaterThanOrEqual(1);
  expectStatus(refused, 503);
  expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  expect(refused.text).not.toMatch(/Mongo|\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b/);
  return { resident, form };
}

describe('when the connection breaks during a vote insert', () => {
  it('before the database sees it: 503, nothing stored or counted, and the same form taken once afterwards', async () => {
    proxy.cuts = 0;
    const { resident, form } = await postCut('request');
    await t.container.tallyWriter.drain();
    expect(await stored()).toBe(0);
    expect((await t.container.tallies.get(survey._id)).total).toBe(0);

    const accepted = await resident.post(surveyPath).type('form').send(form);
    expectStatus(accepted, 303);
    await t.container.tallyWriter.drain();
    expect(await stored()).toBe(1);
    expect(await verify()).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  }, 30_000);

  it('after the database stored it: 503, yet the stored vote is counted, and the same form gets its receipt without a second vote', async () => {
    proxy.cuts = 0;
    const { resident, form } = await postCut('reply');
    await t.container.tallyWriter.drain();
    expect(await stored()).toBe(1);
    expect(await verify()).toEqual({ responses: 1, tallyTotal: 1, differences: [] });

    const again = await resident.post(surveyPath).type('form').send(form);
    expectStatus(again, 303);
    await t.container.tallyWriter.drain();
    expect(await stored()).toBe(1);
    expect(await verify()).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  }, 30_000);
});
