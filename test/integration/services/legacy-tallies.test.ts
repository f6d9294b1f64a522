/**
 * A database written by an earlier version keeps its counts in one `tallies` document per survey (and day
 * slices): at start-up they are recounted from the responses into snapshots, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLegacyTallies } from '../../../server/services/tallies/legacy-tallies.js';
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
