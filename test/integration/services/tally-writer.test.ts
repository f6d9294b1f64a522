import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { deltaId } from '../../../server/models/tally-delta.model.js';
import { VOID_SURVEY } from '../../../server/services/tallies/batch-settler.js';
import { TallyService } from '../../../server/services/tallies/tally.service.js';
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
async function storeResponse(answers: Record<string, string | string[] | number>, id = new Types.ObjectId(), writer: TallyWriter = t.container.tallyWriter) {
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
  const [marker] = await writer.markPending([{ survey: survey._id, responseIds: [id] }]);
  await t.container.models.Response.create({ ...response, batch: marker!.token });
  return Object.assign(response, { marker: marker! });
}

/** Counts a stored response as the response store does once its insert is acknowledged. */
const count = (r: Awaited<ReturnType<typeof storeResponse>>, writer: TallyWriter = t.container.tallyWriter) => writer.countStored(survey, r.marker, [r]);

const verify = () => new TallyVerifier(t.container.models, t.container.tallies).verify(survey._id);

/** Another Minyi process on the same database: its own reader, snapshots in memory and writer id. */
function anotherProcess(flushIntervalMs = 0) {
  const tallies = new TallyService(t.container.models);
  return { tallies, writer: new TallyWriter(t.container.models, tallies, { logger: t.container.logger, flushIntervalMs }) };
}

const ago = (ms: number) => new Date(Date.now() - ms);

const answers = (i: number) => ({
  concerns: i % 2 ? ['fraud', 'burglary', 'traffic'] : ['vehicle-theft', 'fraud', 'traffic'],
  district: i % 3 ? 'wuxing' : 'nanxun',
  safety: (i % 5) + 1,
  victim: 'no',
});

describe('TallyWriter', () => {
  it('counts 120 concurrent votes exactly, and leaves no marker or delta once folded', async () => {
    const responses = await Promise.all(Array.from({ length: 120 }, (_, i) => storeResponse(answers(i))));
    await Promise.all(responses.map((r) => count(r)));
    await t.container.tallyWriter.drain();
    const tally = await t.container.tallies.get(survey._id);
    expect(tally.total).toBe(120);
    expect(tally.integrity.accepted).toBe(120);
    expect(tally.byDay['2026-11-21']).toBe(120);
    expect(tally.byDistrict.wuxing).toBe(80);
    expect(tally.byDistrict.nanxun).toBe(40);
    expect(tally.questions.concerns!.options.fraud).toBe(120);
    expect(tally.questions.concerns!.ranks!.fraud!['1']).toBe(60);
    expect(tally.questions.concerns!.ranks!.fraud!['2']).toBe(60);
    expect(tally.questions.safety!.options['3']).toBe(24);
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
    expect(await t.container.models.TallyDelta.countDocuments()).toBe(0);
    expect(await verify()).toEqual({ responses: 120, tallyTotal: 120, differences: [] });
  });

  it('counts vote-check events', async () => {
    t.container.tallyWriter.countEvent(survey._id, 'duplicate');
    t.container.tallyWriter.countEvent(survey._id, 'duplicate');
    t.container.tallyWriter.countEvent(survey._id, 'rateLimited');
    await t.container.tallyWriter.drain();
    const tally = await t.container.tallies.get(survey._id);
    expect(tally.integrity).toMatchObject({ duplicate: 2, rateLimited: 1, accepted: 0 });
  });

  it('reads votes whose delta is not folded yet, and the same counts once folded', async () => {
    const slow = anotherProcess(60_000);
    for (let i = 0; i < 4; i += 1) await count(await storeResponse(answers(i), undefined, slow.writer), slow.writer);
    expect(await t.container.models.TallyDelta.countDocuments()).toBe(4);
    const before = await t.container.tallies.get(survey._id);
    expect(before.total).toBe(4);
    expect(await t.container.tallies.fold(survey._id)).toBe(4);
    expect(await t.container.models.TallyDelta.countDocuments()).toBe(0);
    expect(await t.container.tallies.get(survey._id)).toEqual(before);
    // The other process knew an older snapshot: it finds the newer one, not an undercount.
    expect((await slow.tallies.get(survey._id)).total).toBe(4);
    slow.writer.stop();
  });

  it('counts a delta once when its insert is retried after it was folded and deleted', async () => {
    const response = await storeResponse(answers(1));
    await count(response);
    await t.container.tallyWriter.drain();
    expect(await t.container.models.TallyDelta.countDocuments()).toBe(0);
    // A first attempt whose fate was unknown lands now, long after the retry was counted.
    const id = response.marker._id;
    await t.container.models.TallyDelta.create({ _id: id, survey: survey._id, writer: response.marker.writer, seq: response.marker.seq, votes: 1, tally: { total: 1 }, slices: {}, at: new Date() });
    expect((await t.container.tallies.get(survey._id)).total).toBe(1);
    await t.container.tallies.fold(survey._id);
    expect(await t.container.models.TallyDelta.countDocuments()).toBe(0);
    expect(await verify()).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
  });

  it('after a crash, counts each stored vote of the pending batches once, whether or not its delta landed', async () => {
    const crashed = anotherProcess(60_000);
    const deltaLanded = await storeResponse(answers(1), undefined, crashed.writer);
    await count(deltaLanded, crashed.writer);
    const responseLanded = await storeResponse(answers(2), undefined, crashed.writer);
    const [neverStored] = await crashed.writer.markPending([{ survey: survey._id, responseIds: [new Types.ObjectId()] }]);
    // The crash: one batch's delta was written but its marker not deleted; the others have no delta.
    await t.container.models.TallyPending.create({ ...deltaLanded.marker, at: new Date() });
    crashed.writer.stop();
    const fresh = await storeResponse(answers(5));
    await t.container.models.TallyPending.updateMany({ _id: { $ne: fresh.marker._id } }, { $set: { at: ago(600_000) } });

    expect(await t.container.tallyWriter.recoverPending(60_000)).toEqual({ settled: 3, counted: 2 });
    expect((await t.container.models.TallyPending.find().lean()).map((m) => m._id)).toEqual([fresh.marker._id]);
    expect(neverStored).toBeDefined();
    expect(responseLanded).toBeDefined();
    // The fresh vote is still on its way; once counted, everything is counted once.
    await count(fresh);
    await t.container.tallyWriter.drain();
    expect((await t.container.tallies.get(survey._id)).total).toBe(3);
    expect((await verify()).differences.filter((d) => !d.path.startsWith('integrity'))).toEqual([]);
    expect(await t.container.tallyWriter.recoverPending(60_000)).toEqual({ settled: 0, counted: 0 });
  });

  it('settles a batch whose insert lands after it was given up: the late response is refused, nothing is counted', async () => {
    const id = new Types.ObjectId();
    const [marker] = await t.container.tallyWriter.markPending([{ survey: survey._id, responseIds: [id] }]);
    await t.container.tallyWriter.settle(survey, marker!);
    // The insert that was on its way arrives now.
    await expect(t.container.models.Response.create({ _id: id, survey: survey._id, bureau: survey.bureau, submissionId: 'late', receipt: 'LATE', answers: answers(1), submittedAt: new Date(), day: '2026-11-21', locale: 'zh-CN' })).rejects.toMatchObject({ code: 11000 });
    await t.container.tallyWriter.drain();
    expect(await t.container.models.Response.countDocuments({ survey: survey._id })).toBe(0);
    expect(await t.container.models.Response.countDocuments({ survey: VOID_SURVEY })).toBe(1);
    expect((await t.container.tallies.get(survey._id)).total).toBe(0);
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  });

  it('does not count a response stored by a later batch that reused its id (the same form posted again)', async () => {
    const id = new Types.ObjectId();
    const [lost] = await t.container.tallyWriter.markPending([{ survey: survey._id, responseIds: [id] }]);
    // The first post's insert never arrived; the resident posted the same form again, stored and counted.
    const again = await storeResponse(answers(1), id);
    await count(again);
    await t.container.tallyWriter.settle(survey, lost!);
    await t.container.tallyWriter.drain();
    expect(await verify()).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
  });

  it('settles a batch whose insert landed before it was given up: the vote is counted', async () => {
    const response = await storeResponse(answers(1));
    await t.container.tallyWriter.settle(survey, response.marker);
    await t.container.tallyWriter.drain();
    expect(await verify()).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
    // Settling again (another process recovering the same batch) changes nothing.
    await anotherProcess().writer.settle(survey, response.marker);
    await t.container.tallyWriter.drain();
    expect(await verify()).toEqual({ responses: 1, tallyTotal: 1, differences: [] });
  });

  it('stays exact with three processes writing and folding one survey at once', async () => {
    const processes = [anotherProcess(0), anotherProcess(0), anotherProcess(0)];
    const rounds = await Promise.all(
      processes.map(async (p, n) => {
        for (let i = 0; i < 20; i += 1) {
          const batch = await Promise.all([0, 1, 2].map((k) => storeResponse(answers(n * 100 + i * 3 + k), undefined, p.writer)));
          await Promise.all(batch.map((r) => count(r, p.writer)));
          void p.tallies.fold(survey._id);
        }
        await p.writer.drain();
      }),
    );
    expect(rounds).toHaveLength(3);
    for (const p of processes) expect((await p.tallies.get(survey._id)).total).toBe(180);
    expect(await verify()).toEqual({ responses: 180, tallyTotal: 180, differences: [] });
    expect(await t.container.models.TallyDelta.countDocuments()).toBe(0);
  });

  it('counts each vote in the slice of its day, split by district and channel', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => storeResponse(answers(i))));
    await Promise.all(responses.map((r) => count(r)));
    const [slice] = await t.container.tallies.slices(survey._id, ['2026-11-21']);
    expect(Object.keys(slice!.cells).sort()).toEqual(['nanxun|web', 'wuxing|web']);
    expect(slice!.cells['nanxun|web']!.total).toBe(10);
    expect(slice!.cells['wuxing|web']!.total).toBe(20);
    expect(slice!.cells['wuxing|web']!.questions.safety!.answered).toBe(20);
    expect(slice!.cells['nanxun|web']!.questions.concerns!.ranks!['vehicle-theft']!['1']).toBe(5);
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

  it('drain() folds at once instead of waiting out the interval', async () => {
    const slow = anotherProcess(60_000);
    const [a, b] = [await storeResponse(answers(1), undefined, slow.writer), await storeResponse(answers(2), undefined, slow.writer)];
    await count(a, slow.writer);
    const second = count(b, slow.writer);
    expect(slow.writer.queuedVotes(survey._id)).toBe(1);
    await second;
    await slow.writer.drain();
    expect(await t.container.models.TallyDelta.countDocuments()).toBe(0);
    expect((await t.container.tallies.get(survey._id)).total).toBe(2);
  });
});

describe('ResponseStore', () => {
  it('stores racing votes in few writes, answers repeated submissions as duplicates, and counts each stored vote once', async () => {
    const build = (i: number) => ({
      _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: `sub-${i % 150}`, receipt: `R-${i % 150}`, answers: answers(i),
      otherText: {}, submittedAt: new Date(), day: '2026-11-21', district: answers(i).district, channel: 'web' as const, locale: 'zh-CN' as const, clientHash: null,
    });
    // 200 posts of 150 forms: 50 forms posted twice at the same moment.
    const storing = Array.from({ length: 200 }, (_, i) => t.container.responses.store(survey, build(i)));
    // Heavy analysis gives way meanwhile (HeavyRequests), and for a moment after the last write.
    expect(t.container.responses.isStoring()).toBe(true);
    const outcomes = await Promise.all(storing);
    expect(t.container.responses.isStoring()).toBe(true);
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(150);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(50);
    await t.container.tallyWriter.drain();
    expect(await t.container.models.Response.countDocuments({ survey: survey._id })).toBe(150);
    expect(await verify()).toEqual({ responses: 150, tallyTotal: 150, differences: [] });
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
    // Group commit: the votes of one tick went in one insert, so the writer numbered few batches.
    const snapshot = await t.container.models.TallySnapshot.findOne({ key: String(survey._id) }).sort({ version: -1 }).lean();
    const [first, last] = snapshot!.folded[t.container.tallyWriter.writerId]!;
    expect(last! - first! + 1).toBeLessThan(10);
    expect(deltaId(survey._id, t.container.tallyWriter.writerId, 1)).toMatch(/\.1$/);
    await vi.waitFor(() => expect(t.container.responses.isStoring()).toBe(false), { timeout: 5000, interval: 50 });
  });
});
