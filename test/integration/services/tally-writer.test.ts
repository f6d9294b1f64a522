import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { addIncrements, responseIncrements, sliceId, sliceIncrements } from '../../../server/services/tallies/tally-increments.js';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
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
  await t.container.tallyWriter.markPending(response);
  await t.container.models.Response.create(response);
  return response;
}

const answers = (i: number) => ({
  concerns: i % 2 ? ['fraud', 'burglary', 'traffic'] : ['vehicle-theft', 'fraud', 'traffic'],
  district: i % 3 ? 'wuxing' : 'nanxun',
  safety: (i % 5) + 1,
  victim: 'no',
});

describe('TallyWriter', () => {
  it('counts 300 concurrent votes exactly, and marks each response counted', async () => {
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => storeResponse(answers(i))));
    await Promise.all(responses.map((r) => t.container.tallyWriter.countResponse(survey, r)));
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
    const neverStored = { _id: new Types.ObjectId(), survey: survey._id };
    await t.container.tallyWriter.markPending(neverStored);
    const fresh = await storeResponse(answers(5));
    // Markers from ten minutes ago: their age is what recovery looks at.
    await t.container.models.TallyPending.updateMany({ _id: { $ne: String(fresh._id) } }, { $set: { at: new Date(Date.now() - 600_000) } });
    // The crash: some of the last batch's writes landed, deleting the markers did not.
    const crashed = 'lastBatch.crashed-writer';
    const tallyPart = [full, tallyOnly];
    const slicePart = [full, sliceOnly];
    const tallyInc = {};
    for (const r of tallyPart) addIncrements(tallyInc, responseIncrements(survey.questions, r));
    const sliceInc = {};
    for (const r of slicePart) addIncrements(sliceInc, sliceIncrements(survey.questions, r));
    await t.container.models.Tally.updateOne({ survey: survey._id }, { $inc: tallyInc, $set: { [crashed]: tallyPart.map((r) => String(r._id)) } });
    await t.container.models.TallySlice.updateOne({ _id: sliceId(survey._id, '2026-11-21') }, { $inc: sliceInc, $set: { survey: survey._id, day: '2026-11-21', [crashed]: slicePart.map((r) => String(r._id)) } }, { upsert: true });

    const result = await t.container.tallyWriter.recoverPending(60_000);
    expect(result).toEqual({ alreadyCounted: 1, counted: 3, notStored: 1 });
    expect((await t.container.models.TallyPending.find().lean()).map((m) => m._id)).toEqual([String(fresh._id)]);
    // The fresh vote is still on its way: everything but it is counted once, in the tally and in the slice.
    await t.container.tallyWriter.countResponse(survey, fresh);
    await t.container.tallyWriter.drain();
    expect(await new TallyVerifier(t.container.models).verify(survey._id)).toEqual({ responses: 5, tallyTotal: 5, differences: [] });
    expect(nothing.receipt).toBeDefined();
    expect(await t.container.tallyWriter.recoverPending(60_000)).toEqual({ alreadyCounted: 0, counted: 0, notStored: 0 });
  });

  it('finishes a batch whose tally write failed after its slice write landed, without counting the slice twice', async () => {
    const first = await storeResponse(answers(1));
    // The tally document is missing, so the batch's tally write fails while its slice write lands.
    await t.container.models.Tally.deleteOne({ survey: survey._id });
    await expect(t.container.tallyWriter.countResponse(survey, first)).rejects.toThrow(/has no tally document/);
    const slice = await t.container.models.TallySlice.findById(sliceId(survey._id, '2026-11-21')).lean();
    expect(slice?.cells['wuxing|web']?.total).toBe(1);

    await t.container.tallies.ensureTally(survey._id);
    const second = await storeResponse(answers(2));
    await t.container.tallyWriter.countResponse(survey, second);
    await t.container.tallyWriter.drain();
    expect(await new TallyVerifier(t.container.models).verify(survey._id)).toEqual({ responses: 2, tallyTotal: 2, differences: [] });
    expect(await t.container.models.TallyPending.countDocuments()).toBe(0);
  });

  it('counts each vote in the slice of its day, split by district and channel', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => storeResponse(answers(i))));
    await Promise.all(responses.map((r) => t.container.tallyWriter.countResponse(survey, r)));
    const slice = (await t.container.models.TallySlice.findById(sliceId(survey._id, '2026-11-21')).lean())!;
    expect(Object.keys(slice.cells).sort()).toEqual(['nanxun|web', 'wuxing|web']);
    expect(slice.cells['nanxun|web']!.total).toBe(10);
    expect(slice.cells['wuxing|web']!.total).toBe(20);
    expect(slice.cells['wuxing|web']!.questions.safety!.answered).toBe(20);
    expect(slice.cells['nanxun|web']!.questions.concerns!.ranks!['vehicle-theft']!['1']).toBe(5);
  });

  it('gives filtered counts that follow new votes on a day whose slice was already read', async () => {
    const count = async (r: Awaited<ReturnType<typeof storeResponse>>) => {
      await t.container.tallyWriter.countResponse(survey, r);
    };
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
      t.container.tallyWriter.countResponse(orphan, { _id: new Types.ObjectId(), answers: {}, day: '2026-11-21', district: null, channel: 'web' }),
    ).rejects.toThrow(/has no tally document/);
  });
});
