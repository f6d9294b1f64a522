import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TallyVerifier } from '../../../server/services/tallies/tally-verifier.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { scaled } from '../../utils/time.js';
import { everyTypeDefinition } from '../../fixtures/survey-definitions.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
beforeEach(async () => t.reset());
afterAll(async () => t?.close());

const bureauInput = (slug: string) => ({
  slug,
  name: { 'zh-CN': '测试局', en: 'Test bureau' },
  kind: 'police' as const,
  region: { 'zh-CN': '浙江省', en: 'Zhejiang' },
  city: { 'zh-CN': '湖州市', en: 'Huzhou' },
  districts: [{ id: 'wuxing', name: { 'zh-CN': '吴兴区', en: 'Wuxing' } }],
  timezone: 'Asia/Shanghai',
  defaultLocale: 'zh-CN' as const,
});

describe('models on the real database', () => {
  it('refuses a second bureau with the same slug', async () => {
    await t.container.bureaus.create(bureauInput('dup'));
    await expect(t.container.bureaus.create(bureauInput('dup'))).rejects.toMatchObject({ code: 11000 });
  });

  it('refuses a second survey with the same slug in one bureau, allows it in another', async () => {
    const a = await t.container.bureaus.create(bureauInput('a'));
    const b = await t.container.bureaus.create(bureauInput('b'));
    const definition = t.container.definitionValidator.validate(everyTypeDefinition());
    await t.container.surveys.createFromDefinition(a._id, definition);
    await expect(t.container.surveys.createFromDefinition(a._id, definition)).rejects.toMatchObject({ code: 11000 });
    await expect(t.container.surveys.createFromDefinition(b._id, definition)).resolves.toMatchObject({ slug: 'every-type' });
  });

  it('stores a response once per survey and submission id', async () => {
    const survey = new Types.ObjectId();
    const response = { survey, bureau: new Types.ObjectId(), submissionId: 's1', receipt: 'R1', answers: { q: 'a' }, submittedAt: new Date(), day: '2026-11-21', locale: 'zh-CN' as const };
    await t.container.models.Response.create(response);
    await expect(t.container.models.Response.create({ ...response, receipt: 'R2' })).rejects.toMatchObject({ code: 11000 });
    expect(await t.container.models.Response.countDocuments({ survey })).toBe(1);
  });

  it('creates one tally per survey', async () => {
    const survey = new Types.ObjectId();
    await Promise.all([t.container.tallies.ensureTally(survey), t.container.tallies.ensureTally(survey)]).catch(() => t.container.tallies.ensureTally(survey));
    await t.container.tallies.ensureTally(survey);
    expect(await t.container.models.TallySnapshot.countDocuments({ survey })).toBe(1);
    expect((await t.container.tallies.get(survey))?.integrity.accepted).toBe(0);
  });

  it('loads the demo once: bureaus, open surveys from templates, and their tallies', async () => {
    expect(await t.container.demo.seedIfEmpty()).toHaveLength(4);
    expect(await t.container.demo.seedIfEmpty()).toBeNull();
    const bureaus = await t.container.bureaus.listWithOpenSurveys();
    expect(bureaus.map((b) => b.slug)).toEqual(expect.arrayContaining(['huzhou-police', 'jinan-police', 'jinan-intermediate-court', 'nanchang-government']));
    const surveys = await t.container.models.Survey.countDocuments({ status: 'open' });
    expect(surveys).toBeGreaterThanOrEqual(5);
    expect(await t.container.models.TallyHead.countDocuments({ _id: { $not: /\// } })).toBe(surveys);
    // Each demo survey has answers, valid for its questions and counted in its tally exactly.
    const verifier = new TallyVerifier(t.container.models, t.container.tallies);
    for (const survey of await t.container.models.Survey.find().lean()) {
      const check = await verifier.verify(survey._id);
      expect(check.responses).toBe(240);
      expect(check.differences).toEqual([]);
      const bureau = await t.container.models.Bureau.findById(survey.bureau).lean();
      const validator = t.container.answerValidators.get(String(survey._id), survey.revision, survey.questions, bureau!.districts.map((d) => d.id));
      for (const response of await t.container.models.Response.find({ survey: survey._id }).limit(40).lean()) {
        expect(() => validator.validate({ answers: response.answers, otherText: response.otherText })).not.toThrow();
      }
    }
    // Seeding and recounting over a thousand responses: the slowest test of the suite (16 s on an idle machine,
    // 157 s with the load average near 20).
  }, scaled(360_000));
});
