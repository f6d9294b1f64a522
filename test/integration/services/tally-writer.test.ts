import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { responseIncrements } from '../../../server/services/tallies/tally-increments.js';
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

  it('after a crash, counts pending votes exactly once: those in the last batch are not counted again', async () => {
    // Ids from ten minutes ago: the markers' age is what recovery looks at.
    const counted = await storeResponse(answers(1));
    const uncounted = await storeResponse(answers(2));
    const neverStored = { _id: new Types.ObjectId(), survey: survey._id };
    await t.container.tallyWriter.markPending(neverStored);
    const fresh = await storeResponse(answers(3));
    await t.container.models.TallyPending.updateMany({ _id: { $ne: String(fresh._id) } }, { $set: { at: new Date(Date.now() - 600_000) } });
    // The crash: the tally update of `counted` landed, deleting its marker did not.
    await t.container.models.Tally.updateOne(
      { survey: survey._id },
      { $inc: responseIncrements(survey.questions, counted), $set: { 'lastBatch.crashed-writer': [String(counted._id)] } },
    );
    const result = await t.container.tallyWriter.recoverPending(60_000);
    expect(result).toEqual({ alreadyCounted: 1, counted: 1, notStored: 1 });
    const tally = (await t.container.tallies.get(survey._id))!;
    expect(tally.total).toBe(2);
    expect((tally.byDistrict.nanxun ?? 0) + (tally.byDistrict.wuxing ?? 0)).toBe(2);
    expect((await t.container.models.TallyPending.find().lean()).map((m) => m._id)).toEqual([String(fresh._id)]);
    expect(uncounted.receipt).toBeDefined();
    expect(await t.container.tallyWriter.recoverPending(60_000)).toEqual({ alreadyCounted: 0, counted: 0, notStored: 0 });
  });

  it('refuses to count for a survey without a tally document, and says so', async () => {
    const orphan = { _id: new Types.ObjectId(), questions: survey.questions };
    await expect(
      t.container.tallyWriter.countResponse(orphan, { _id: new Types.ObjectId(), answers: {}, day: '2026-11-21', district: null, channel: 'web' }),
    ).rejects.toThrow(/has no tally document/);
  });
});
