import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { addIncrements, responseIncrements, sliceId, sliceIncrements } from '../../../server/services/tallies/tally-increments.js';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
import { TallyWriter } from '../../../server/services/tallies/tally-writer.js';
import { everyTypeDefinition } from '../../fixtures/survey-definitions.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let survey: Survey;

beforeAll(async () => {
  t = await createTestApp();
});
beforeEach(async () => {
  await t.reset();
  const definition = t.container.definitionValidator.validate(everyTypeDefinition());
  survey = await t.container.surveys.createFromDefinition(new Types.ObjectId(), definition, { status: 'open' });
});
afterAll(async () => t?.close());

let counter = 0;
async function storeResponse(answers: Record<string, string | string[] | number>, id = new Types.ObjectId()) {
  counter += 1;
  const response = {
    _id: id,
    survey: survey._id,
    bureau: survey.bureau,
    submissionId: `s${counter}-${id}`,
    receipt: `R${counter}-${id}`,
    answers,
    submittedAt: new Date(),
    day: '2026-11-21',
    district: typeof answers.district === 'string' ? answers.district : null,
    channel: 'web' as const,
    locale: 'zh-CN' as const,
  };
  const [marker] = await t.container.tallyWriter.markPending([{ survey: survey._id, responseIds: [String(id)] }]);
  await t.container.models.Response.create(response);
  return Object.assign(response, { marker: marker! });
}

/** Counts a stored response as the response store does once its insert is acknowledged. */
const count = (r: Awaited<ReturnType<typeof storeResponse>>) => t.container.tallyWriter.countStored(survey, r.marker, [r]);

const answers = (i: number) => ({
  concerns: i % 2 ? ['fraud', 'burglary', 'traffic'] : ['vehicle-theft', 'fraud', 'traffic'],
  district: i % 3 ? 'wuxing' : 'nanxun',
  safety: (i % 5) + 1,
  victim: 'no',
});

describe('TallyWriter', () => {
  it('counts 300 concurrent votes exactly, and marks each response counted', async () => {
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => storeResponse(answers(i))));
    await Promise.all(responses.map(count));
    await t.container.tallyWriter.drain();
    const tally = (await t.container.tallies.get(survey._id))!;
    expect(tally.total).toBe(300);
    expect(tally.integrity.accepted).toBe(300);
    expect(tally.byDay['2026-11-21']).toBe(300);
    expect(tally.byDistrict.wuxing).toBe(200);
    expect(tally.byDistrict.nanxun).toBe(100);
    expect(tally.questions.concerns!.options.fraud).toBe(300);
    expect(tally.questions.concerns!.ranks!.fraud!['1']).toBe(150);
    expect(tally.questions.concerns!.ranks!.fraud!['2']).toBe(150);
    expect(tally.questions.safety!.options['3']).toBe(60);
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  });

  it('counts integrity events', async () => {
    await Promise.all([
      t.container.tallyWriter.countEvent(survey._id, 'duplicate'),
      t.container.tallyWriter.countEvent(survey._id, 'duplicate'),
      t.container.tallyWriter.countEvent(survey._id, 'rateLimited'),
    ]);
    const tally = (await t.container.tallies.get(survey._id))!;
    expect(tally.integrity).toMatchObject({ duplicate: 2, rateLimited: 1, accepted: 0 });
  });

  it('after a crash, counts exactly once what each pending vote is missing: its tally part, its slice part, both or neither', async () => {
    const full = await storeResponse(answers(1));
    const tallyOnly = await storeResponse(answers(2));
    const sliceOnly = await storeResponse(answers(3));
    const nothing = await storeResponse(answers(4));
    await t.container.tallyWriter.markPending([{ survey: survey._id, responseIds: [String(new Types.ObjectId())] }]);
    const fresh = await storeResponse(answers(5));
    // Markers from ten minutes ago: their age is what recovery looks at.
    await t.container.models.TallyPending.updateMany({ _id: { $ne: fresh.marker } }, { $set: { at: new Date(Date.now() - 600_000) } });
    // The crash: some of the last batch's writes landed, deleting the markers did not.
    const crashed = 'lastBatch.crashed-writer';
    const tallyPart = [full, tallyOnly];
    const slicePart = [full, sliceOnly];
    const tallyInc = {};
    for (const r of tallyPart) addIncrements(tallyInc, responseIncrements(survey.questions, r));
    const sliceInc = {};
    for (const r of slicePart) addIncrements(sliceInc, sliceIncrements(survey.questions, r));
    await t.container.models.Tally.updateOne({ survey: survey._id }, { $inc: tallyInc, $set: { [crashed]: tallyPart.map((r) => r.marker) } });
    await t.container.models.TallySlice.updateOne({ _id: sliceId(survey._id, '2026-11-21') }, { $inc: sliceInc, $set: { survey: survey._id, day: '2026-11-21', [crashed]: slicePart.map((r) => r.marker) } }, { upsert: true });

    const result = await t.container.tallyWriter.recoverPending(60_000);
    expect(result).toEqual({ alreadyCounted: 1, counted: 3, notStored: 1 });
    expect((await t.container.models.TallyPending.find().lean()).map((m) => m._id)).toEqual([fresh.marker]);
    // The fresh vote is still on its way: everything but it is counted once, in the tally and in the slice.
    await count(fresh);
    await t.container.tallyWriter.drain();
    expect(await new TallyVerifier(t.container.models).verify(survey._id)).toEqual({ responses: 5, tallyTotal: 5, differences: [] });
    expect(nothing.receipt).toBeDefined();
    expect(await t.container.tallyWriter.recoverPending(60_000)).toEqual({ alreadyCounted: 0, counted: 0, notStored: 0 });
  });

  it('finishes a batch whose tally write failed after its slice write landed, without counting the slice twice', async () => {
    const first = await storeResponse(answers(1));
    // The tally document is missing, so the batch's tally write fails while its slice write lands.
    await t.container.models.Tally.deleteOne({ survey: survey._id });
    await expect(count(first)).rejects.toThrow(/has no tally document/);
    const slice = await t.container.models.TallySlice.findById(sliceId(survey._id, '2026-11-21')).lean();
    expect(slice?.cells['wuxing|web']?.total).toBe(1);

    await t.container.tallies.ensureTally(survey._id);
    const second = await storeResponse(answers(2));
    await count(second);
    await t.container.tallyWriter.drain();
    expect(await new TallyVerifier(t.container.models).verify(survey._id)).toEqual({ responses: 2, tallyTotal: 2, differences: [] });
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  });

  it('counts each vote in the slice of its day, split by district and channel', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => storeResponse(answers(i))));
    await Promise.all(responses.map(count));
    const slice = (await t.container.models.TallySlice.findById(sliceId(survey._id, '2026-11-21')).lean())!;
    expect(Object.keys(slice.cells).sort()).toEqual(['nanxun|web', 'wuxing|web']);
    expect(slice.cells['nanxun|web']!.total).toBe(10);
    expect(slice.cells['wuxing|web']!.total).toBe(20);
    expect(slice.cells['wuxing|web']!.questions.safety!.answered).toBe(20);
    expect(slice.cells['nanxun|web']!.questions.concerns!.ranks!['vehicle-theft']!['1']).toBe(5);
  });

  it('gives filtered counts that follow new votes on a day whose slice was already read', async () => {
    for (let i = 0; i < 3; i += 1) await count(await storeResponse(answers(i)));
    const filter = { district: 'nanxun', from: '2026-11-21' };
    expect((await t.container.dashboards.counts(survey, filter)).total).toBe(1);
    await count(await storeResponse(answers(3)));
    await count(await storeResponse(answers(1)));
    const after = await t.container.dashboards.counts(survey, filter);
    expect(after.total).toBe(2);
    expect(after.questions.safety!.options).toEqual({ '1': 1, '4': 1 });
  });

  it('refuses to count for a survey without a tally document, and says so', async () => {
    const orphan = { _id: new Types.ObjectId(), questions: survey.questions };
    await expect(
      t.container.tallyWriter.countStored(orphan, 'no-marker', [{ _id: new Types.ObjectId(), answers: {}, day: '2026-11-21', district: null, channel: 'web' }]),
    ).rejects.toThrow(/has no tally document/);
  });

  it('writes the votes of one flush interval together, in one write per document', async () => {
    const slow = new TallyWriter(t.container.models, { logger: t.container.logger, flushIntervalMs: 400 });
    const first = await storeResponse(answers(1));
    const countedFirst = slow.countStored(survey, first.marker, [first]);
    await countedFirst;
    // The first write went out at once; these three arrive within the interval and wait for the next.
    const later = await Promise.all([2, 3, 4].map((i) => storeResponse(answers(i))));
    const started = Date.now();
    await Promise.all(later.map((r) => slow.countStored(survey, r.marker, [r])));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const tally = (await t.container.models.Tally.findOne({ survey: survey._id }).lean())!;
    expect(tally.total).toBe(4);
    expect([...tally.lastBatch[slow.writerId]!].sort()).toEqual(later.map((r) => r.marker).sort());
    // The counted markers are deleted after the votes resolve, before the writer goes idle.
    await slow.drain();
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  });

  it('drain() writes at once instead of waiting out the interval', async () => {
    const slow = new TallyWriter(t.container.models, { logger: t.container.logger, flushIntervalMs: 60_000 });
    const [a, b] = [await storeResponse(answers(1)), await storeResponse(answers(2))];
    await slow.countStored(survey, a.marker, [a]);
    void slow.countStored(survey, b.marker, [b]);
    expect(slow.queuedVotes(survey._id)).toBe(1);
    const started = Date.now();
    await slow.drain();
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await t.container.tallies.get(survey._id))!.total).toBe(2);
  });

  it('recovers a marker of several votes of which only some were stored, and markers from before batches', async () => {
    const stored = [await storeResponse(answers(1)), await storeResponse(answers(2))];
    const lost = new Types.ObjectId();
    await t.container.models.TallyPending.deleteMany({});
    const [batch] = await t.container.tallyWriter.markPending([{ survey: survey._id, responseIds: [String(stored[0]!._id), String(lost)] }]);
    // A marker as written before markers covered batches: its _id is the response id.
    await t.container.models.TallyPending.collection.insertOne({ _id: String(stored[1]!._id) as never, survey: survey._id, at: new Date(0) });
    await t.container.models.TallyPending.updateOne({ _id: batch }, { $set: { at: new Date(0) } });
    expect(await t.container.tallyWriter.recoverPending(60_000)).toEqual({ alreadyCounted: 0, counted: 2, notStored: 1 });
    expect(await new TallyVerifier(t.container.models).verify(survey._id)).toEqual({ responses: 2, tallyTotal: 2, differences: [] });
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  });
});

describe('ResponseStore', () => {
  it('stores racing votes in few writes, answers repeated submissions as duplicates, and counts each stored vote once', async () => {
    const build = (i: number) => ({
      _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: `sub-${i % 150}`, receipt: `R-${i % 150}`, answers: answers(i),
      otherText: {}, submittedAt: new Date(), day: '2026-11-21', district: answers(i).district, channel: 'web' as const, locale: 'zh-CN' as const, clientHash: null,
    });
    // 200 posts of 150 forms: 50 forms posted twice at the same moment.
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => t.container.responses.store(survey, build(i))));
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(150);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(50);
    await t.container.tallyWriter.drain();
    expect(await t.container.models.Response.countDocuments({ survey: survey._id })).toBe(150);
    expect(await new TallyVerifier(t.container.models).verify(survey._id)).toEqual({ responses: 150, tallyTotal: 150, differences: [] });
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
    // Group commit: the votes of one tick went in one insert, so the tally records a single marker for them.
    const tally = (await t.container.models.Tally.findOne({ survey: survey._id }).lean())!;
    expect(Object.values(tally.lastBatch).flat().length).toBeLessThan(10);
  });

  it('fails every vote of a write when the database refuses it, and stores nothing half', async () => {
    await t.container.models.TallyPending.deleteMany({});
    const response = { _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: 'x', receipt: 'R', answers: answers(1), otherText: {}, submittedAt: new Date(), day: '2026-11-21', district: 'wuxing', channel: 'web' as const, locale: 'zh-CN' as const, clientHash: null };
    const closed = await createTestApp();
    await closed.close();
    await expect(closed.container.responses.store(survey, response)).rejects.toThrow();
    expect(await t.container.models.Response.countDocuments({ survey: survey._id })).toBe(0);
  });
});
