/**
 * A database written by an earlier version keeps its counts in one `tallies` document per survey (and day
 * slices): at start-up they are recounted from the responses into snapshots, once. A later one stored the
 * snapshots' and deltas' counters as documents: they are read as they are, and the snapshots rewritten as text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLegacyTallies, repackCounters } from '../../../server/services/tallies/legacy-tallies.js';
import { deltaId } from '../../../server/models/tally-delta.model.js';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
afterAll(async () => t?.close());

describe('tallies of an earlier version', () => {
  it('are recounted from the responses once, keeping the vote-check counters that have no responses', async () => {
    const { survey, path } = await createBureauWithSurvey(t.container);
    for (let i = 0; i < 6; i += 1) expectStatus(await vote(newAgent(t.app), path, validFields()), 303);
    await t.container.tallyWriter.drain();
    // The database as the earlier version left it: a tally document that undercounts, no snapshots.
    await t.container.models.TallyDelta.deleteMany({});
    await t.container.models.TallySnapshot.deleteMany({});
    await t.container.models.SliceSnapshot.deleteMany({});
    await t.container.models.TallyHead.deleteMany({});
    await t.container.models.LegacyTally.collection.insertOne({ survey: survey._id, total: 4, integrity: { accepted: 4, refused: 3 } } as never);
    t.container.tallies.clear();
    expect((await t.container.tallies.get(survey._id)).total).toBe(0);

    const verifier = new TallyVerifier(t.container.models, t.container.tallies);
    expect(await migrateLegacyTallies(t.container.models, t.container.tallies, verifier, t.container.logger)).toBe(1);
    const tally = await t.container.tallies.get(survey._id);
    expect(tally.total).toBe(6);
    expect(tally.integrity).toMatchObject({ accepted: 6, refused: 3 });
    expect(await verifier.verify(survey._id)).toEqual({ responses: 6, tallyTotal: 6, differences: [] });
    expect(await t.container.models.LegacyTally.countDocuments()).toBe(0);
    // Run again (a restart): nothing left to move, nothing counted twice.
    expect(await migrateLegacyTallies(t.container.models, t.container.tallies, verifier, t.container.logger)).toBe(0);
    expect((await t.container.tallies.get(survey._id)).total).toBe(6);
  });
});

describe('counters stored as documents by an earlier version', () => {
  it('are read as they are, and the snapshots rewritten as text once', async () => {
    const { survey, path } = await createBureauWithSurvey(t.container, { slug: 'earlier-counters' });
    for (let i = 0; i < 5; i += 1) expectStatus(await vote(newAgent(t.app), path, validFields()), 303);
    await t.container.tallyWriter.drain();
    const { models } = t.container;
    const expected = await t.container.tallies.get(survey._id);
    const day = Object.keys(expected.byDay)[0]!;
    const [expectedSlice] = await t.container.tallies.slices(survey._id, [day]);
    // The same counts as the earlier version stored them: snapshots with their counters as documents, and
    // a delta not folded yet (two refused votes) in the same form.
    let converted = 0;
    for (const model of [models.TallySnapshot, models.SliceSnapshot]) {
      for (const snapshot of await model.find({ survey: survey._id, retiredAt: null }).lean()) {
        expect(typeof snapshot.counters).toBe('string');
        await model.updateOne({ _id: snapshot._id }, { $set: { counters: JSON.parse(snapshot.counters as string) as object } });
        converted += 1;
      }
    }
    expect(converted).toBeGreaterThanOrEqual(2);
    await models.TallyDelta.collection.insertOne({ _id: deltaId(survey._id, 'earlier', 1), survey: survey._id, writer: 'earlier', seq: 1, votes: 0, tally: { integrity: { refused: 2 } }, slices: {}, at: new Date() } as never);
    t.container.tallies.clear();

    const read = async () => ({ tally: await t.container.tallies.get(survey._id), slices: await t.container.tallies.slices(survey._id, [day]) });
    const withRefused = { ...expected, integrity: { ...expected.integrity, refused: expected.integrity.refused + 2 } };
    expect(await read()).toEqual({ tally: withRefused, slices: [expectedSlice] });

    expect(await repackCounters(models, t.container.logger)).toBe(converted);
    for (const model of [models.TallySnapshot, models.SliceSnapshot]) {
      for (const snapshot of await model.find({ survey: survey._id, retiredAt: null }).lean()) expect(typeof snapshot.counters).toBe('string');
    }
    t.container.tallies.clear();
    expect(await read()).toEqual({ tally: withRefused, slices: [expectedSlice] });
    expect(await repackCounters(models, t.container.logger)).toBe(0);
    // The next fold takes the earlier delta in and writes text.
    await t.container.tallies.fold(survey._id);
    expect(await models.TallyDelta.countDocuments({ survey: survey._id })).toBe(0);
    expect(await read()).toEqual({ tally: withRefused, slices: [expectedSlice] });
  });
});
