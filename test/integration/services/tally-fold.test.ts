import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLICE_SNAPSHOTS, TALLY_SNAPSHOTS } from '../../../server/models/tally-snapshot.model.js';
import { TallySums } from '../../../server/services/tallies/tally-sums.js';
import { KEYS_AT_ONCE } from '../../../server/services/tallies/tally.service.js';
import { everyTypeDefinition } from '../../fixtures/survey-definitions.js';
import { createTestApp, databaseUriFor, type TestApp } from '../../utils/test-app.js';
import { startWireProxy, type WireProxy } from '../../utils/wire-proxy.js';

let proxy: WireProxy;
let t: TestApp;

beforeAll(async () => {
  proxy = await startWireProxy(databaseUriFor(`minyi_test_fold_${Date.now()}`));
  t = await createTestApp({}, { databaseUri: proxy.uri });
}, 60_000);
afterAll(async () => {
  await t?.close().catch(() => {});
  await proxy?.close();
});

describe('folding a delta that spans months', () => {
  it('reads and writes a few days at a time, so no read waits behind all the others, and counts each day once', async () => {
    const definition = t.container.definitionValidator.validate(everyTypeDefinition());
    const survey = await t.container.surveys.createFromDefinition(new Types.ObjectId(), definition, { status: 'open' });
    // An import of 90 days of votes: one delta with 90 day slices (as demo data and the benchmarks add them).
    const sums = new TallySums(survey.questions);
    const days = Array.from({ length: 90 }, (_, i) => new Date(Date.UTC(2026, 6, 1 + i)).toISOString().slice(0, 10));
    for (const [i, day] of days.entries()) {
      for (let n = 0; n <= i % 3; n += 1) sums.add({ answers: { victim: n === 0 ? 'yes' : 'no' }, day, district: null, channel: 'web' });
    }
    await t.container.tallies.addSeeded(survey._id, sums, 'import-1');
    proxy.peakInFlight.clear();

    expect(await t.container.tallies.fold(survey._id)).toBe(1);

    // Without a limit, the fold sent all 90 days' reads at once, and on a busy database the last ones came back
    // after the fold's age guard had given up on them.
    expect(proxy.peakInFlight.get(SLICE_SNAPSHOTS)).toBeGreaterThan(0);
    expect(proxy.peakInFlight.get(SLICE_SNAPSHOTS)).toBeLessThanOrEqual(KEYS_AT_ONCE);
    const tally = await t.container.tallies.get(survey._id);
    expect(tally.total).toBe(days.reduce((sum, _, i) => sum + (i % 3) + 1, 0));
    const slices = await t.container.tallies.slices(survey._id, days);
    expect(slices.map((slice) => slice.day)).toEqual(days);
    expect(await t.container.models.TallyDelta.countDocuments({ survey: survey._id })).toBe(0);
  });
});

describe('reading counts while many read them', () => {
  it('ten readers of one survey at once share reads of its snapshot, each read by one _id', async () => {
    const definition = t.container.definitionValidator.validate({ ...everyTypeDefinition(), slug: 'read-by-many' });
    const survey = await t.container.surveys.createFromDefinition(new Types.ObjectId(), definition, { status: 'open' });
    const sums = new TallySums(survey.questions);
    sums.add({ answers: { victim: 'yes' }, day: '2026-07-01', district: null, channel: 'web' });
    await t.container.tallies.addSeeded(survey._id, sums, 'import-1');
    await t.container.tallies.fold(survey._id);
    proxy.peakInFlight.clear();
    proxy.filters.length = 0;

    const tallies = await Promise.all(Array.from({ length: 10 }, () => t.container.tallies.get(survey._id)));

    expect(tallies.map((tally) => tally.total)).toEqual(Array(10).fill(1));
    expect(proxy.peakInFlight.get(TALLY_SNAPSHOTS)).toBe(1);
    // FerretDB reads and decodes a whole collection for `_id: {$in: [...]}`; an `_id` equality it filters in SQLite.
    const snapshotReads = proxy.filters.filter((read) => read.collection === TALLY_SNAPSHOTS);
    expect(snapshotReads.length).toBeGreaterThan(0);
    for (const read of snapshotReads) expect(typeof read.filter._id).toBe('string');
  });
});
