import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deltaId } from '../../../server/models/tally-delta.model.js';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
afterAll(async () => t?.close());

describe('tallies:verify', () => {
  it('finds the tallies equal to a recount of the raw responses after concurrent voting, and reports a tampered counter', async () => {
    const { survey, path } = await createBureauWithSurvey(t.container);
    const districts = ['wuxing', 'nanxun', 'deqing'];
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        vote(newAgent(t.app), path, validFields({ district: districts[i % 3], safety: String((i % 5) + 1), victim: i % 4 === 0 ? 'yes' : 'no', 'crime-kind': i % 4 === 0 ? ['theft'] : undefined, 'concerns.rank.1': i % 2 ? 'fraud' : 'burglary', 'concerns.rank.2': i % 2 ? 'burglary' : 'fraud' })),
      ),
    );
    for (const res of results) expectStatus(res, 303);
    await t.container.tallyWriter.drain();
    const verifier = new TallyVerifier(t.container.models, t.container.tallies);
    const clean = await verifier.verify(survey._id);
    expect(clean).toEqual({ responses: 120, tallyTotal: 120, differences: [] });

    // Counts are changed the only way they are stored: a delta, here from a writer of the test's own.
    let seq = 0;
    const tamper = (tally: object, slices: object = {}) => {
      seq += 1;
      return t.container.models.TallyDelta.create({ _id: deltaId(survey._id, 'tamper', seq), survey: survey._id, writer: 'tamper', seq, votes: 0, tally, slices, at: new Date() });
    };
    await tamper({ questions: { safety: { options: { 3: 2 } } } });
    const tampered = await verifier.verify(survey._id);
    expect(tampered.differences).toEqual([{ path: 'questions.safety.options.3', tally: 26, recomputed: 24 }]);

    await tamper({ questions: { safety: { options: { 3: -2 } } } });
    await t.container.tallies.fold(survey._id);
    const day = Object.keys((await t.container.tallies.get(survey._id)).byDay)[0]!;
    await tamper({}, { [day]: { cells: { 'nanxun|web': { questions: { victim: { options: { yes: 1 } } } } } } });
    expect((await verifier.verify(survey._id)).differences).toEqual([{ path: `slices.${day}.cells.nanxun|web.questions.victim.options.yes`, tally: 11, recomputed: 10 }]);
    // Folded into the snapshots, the counts read the same.
    await t.container.tallies.fold(survey._id);
    expect(await t.container.models.TallyDelta.countDocuments({ survey: survey._id })).toBe(0);
    expect((await verifier.verify(survey._id)).differences).toHaveLength(1);
  });
});
