import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let manager: StaffAgent;
const base = '/staff/b/test-bureau';

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
beforeEach(async () => {
  await t.reset();
  await createBureauWithSurvey(t.container);
  const bureau = await t.container.models.Bureau.findOne({ slug: 'test-bureau' }).lean();
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau!._id }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
});
afterAll(async () => t?.close());

async function post(agent: StaffAgent, path: string, fields: Record<string, string> = {}) {
  const csrf = await agent.csrf();
  return agent.post(path).type('form').send({ _csrf: csrf, ...fields });
}
const surveyBySlug = (slug: string) => t.container.models.Survey.findOne({ slug }).lean<Survey>();

/** The builder's current fields, read back from its page, as a resident's browser would send them. */
function builderFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="(?:text|number|hidden)" id="[^"]*" name="([^"]+)" value="([^"]*)"/g)) fields[m[1]!] = decode(m[2]!);
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) if (m[1] !== '_csrf') fields[m[1]!] = decode(m[2]!);
  for (const m of html.matchAll(/<textarea id="[^"]*" name="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)) fields[m[1]!] = decode(m[2]!);
  for (const m of html.matchAll(/<input type="checkbox" id="[^"]*" name="([^"]+)" checked>/g)) fields[m[1]!] = 'on';
  for (const m of html.matchAll(/<select id="[^"]*" name="([^"]+)">([\s\S]*?)<\/select>/g)) {
    const selected = /<option value="([^"]*)" selected>/.exec(m[2]!) ?? /<option value="([^"]*)"/.exec(m[2]!);
    if (selected) fields[m[1]!] = decode(selected[1]!);
  }
  return fields;
}
const decode = (s: string) => s.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

describe('survey list and creation', () => {
  it('lists the bureau surveys with their status and responses', async () => {
    const res = await manager.get(`${base}?lang=en`).expect(200);
    expect(res.text).toContain('Every question type');
    expect(res.text).toContain('status-open');
  });

  it('creates a draft from a template, and audits it', async () => {
    const res = expectStatus(await post(manager, `${base}/surveys`, { source: 'template', template: 'top-public-security-concerns' }), 303);
    expect(res.headers.location).toBe(`${base}/surveys/top-public-security-concerns/edit?done=created`);
    const survey = await surveyBySlug('top-public-security-concerns');
    expect(survey).toMatchObject({ status: 'draft', template: 'top-public-security-concerns' });
    expect(await t.container.models.AuditEntry.countDocuments({ action: 'survey.create' })).toBe(1);
    // Residents cannot see a draft.
    await request(t.app).get('/b/test-bureau/s/top-public-security-concerns').expect(404);
  });

  it('creates a blank draft, and an imported one; a bad import names the pointer', async () => {
    expectStatus(await post(manager, `${base}/surveys`, { source: 'blank', slug: 'night-market' }), 303);
    expect((await surveyBySlug('night-market'))?.questions).toHaveLength(1);
    const bad = expectStatus(await post(manager, `${base}/surveys`, { source: 'import', definitionJson: JSON.stringify({ slug: 'x', questions: [] }) }), 422);
    expect(bad.text).toContain('/title: is required');
    expect(bad.text).toContain('/questions: must have at least 1 item(s)');
    const exported = await manager.get(`${base}/surveys/every-type/export.json`).expect(200);
    expect(exported.headers['content-disposition']).toContain('every-type.json');
    const definition = JSON.parse(exported.text);
    definition.slug = 'imported';
    expectStatus(await post(manager, `${base}/surveys`, { source: 'import', definitionJson: JSON.stringify(definition) }), 303);
    expect((await surveyBySlug('imported'))?.questions).toHaveLength(7);
  });
});

describe('the builder', () => {
  it('adds a ranking and a rating question without JavaScript, checks them, and saves', async () => {
    expectStatus(await post(manager, `${base}/surveys`, { source: 'blank', slug: 'built' }), 303);
    let page = await manager.get(`${base}/surveys/built/edit?lang=en`).expect(200);
    let fields = builderFields(page.text);
    page = await post(manager, `${base}/surveys/built/edit?lang=en`, { ...fields, action: 'add-question', newType: 'ranking' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Changes are not saved');
    fields = builderFields(page.text);
    expect(fields['q.1.type']).toBe('ranking');
    page = await post(manager, `${base}/surveys/built/edit?lang=en`, { ...fields, action: 'add-question', newType: 'rating' });
    fields = builderFields(page.text);
    // Saving with empty texts is refused, with the error beside the field.
    const refused = expectStatus(await post(manager, `${base}/surveys/built/edit?lang=en`, { ...fields, action: 'save' }), 422);
    expect(refused.text).toContain('href="#f-q-1-title-en"');
    expect(refused.text).toMatch(/id="f-q-1-title-en-error">must not be empty/);
    Object.assign(fields, {
      'q.1.title.zh-CN': '请排序', 'q.1.title.en': 'Rank these', 'q.1.options.0.label.zh-CN': '甲', 'q.1.options.0.label.en': 'A', 'q.1.options.1.label.zh-CN': '乙', 'q.1.options.1.label.en': 'B',
      'q.2.title.zh-CN': '满意吗', 'q.2.title.en': 'Satisfied?', 'q.2.lowLabel.zh-CN': '不满意', 'q.2.lowLabel.en': 'No', 'q.2.highLabel.zh-CN': '满意', 'q.2.highLabel.en': 'Yes', 'q.2.scale': '10',
    });
    expectStatus(await post(manager, `${base}/surveys/built/edit`, { ...fields, action: 'save' }), 303);
    const saved = await surveyBySlug('built');
    expect(saved!.questions.map((q) => q.type)).toEqual(['single', 'ranking', 'rating']);
    expect(saved!.questions[2]).toMatchObject({ scale: 10, lowLabel: { en: 'No' } });
    expect(saved!.revision).toBe(2);
  });

  it('warns the author of a word too long for a phone, and lets the survey be saved', async () => {
    let page = await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200);
    expect(page.text).not.toContain('run over 40 characters');
    const url = `https://example.gov.cn/${'a'.repeat(40)}`;
    const fields = builderFields(page.text);
    page = await post(manager, `${base}/surveys/every-type/edit?lang=en`, { ...fields, 'q.0.title.en': `See ${url}`, action: 'add-question', newType: 'single' });
    expect(page.text).toContain('run over 40 characters');
    expect(page.text).toContain(`<code>${url.slice(0, 57)}…</code>`);
    expectStatus(await post(manager, `${base}/surveys/every-type/edit`, { ...fields, 'q.0.title.en': `See ${url}`, action: 'save' }), 303);
    expect((await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200)).text).toContain('run over 40 characters');
  });

  it('reorders and removes questions and options', async () => {
    let page = await manager.get(`${base}/surveys/every-type/edit`).expect(200);
    let fields = builderFields(page.text);
    // The builder's ids in form order, so each step can be shown to have changed exactly what it says.
    const inOrder = (f: Record<string, string>, pattern: RegExp) => Object.keys(f).filter((k) => pattern.test(k)).sort((a, b) => Number(pattern.exec(a)![1]) - Number(pattern.exec(b)![1])).map((k) => f[k]);
    const questionIds = (f: Record<string, string>) => inOrder(f, /^q\.(\d+)\.id$/);
    const optionIds = (f: Record<string, string>, q: number) => inOrder(f, new RegExp(`^q\\.${q}\\.options\\.(\\d+)\\.id$`));
    const [first, second, ...rest] = questionIds(fields);
    page = await post(manager, `${base}/surveys/every-type/edit`, { ...fields, action: 'move-down:0' });
    fields = builderFields(page.text);
    expect(fields['q.0.id']).toBe('district');
    expect(questionIds(fields)).toEqual([second, first, ...rest]);
    const options = optionIds(fields, 1);
    expect(options.length).toBeGreaterThan(3);
    page = await post(manager, `${base}/surveys/every-type/edit`, { ...fields, action: 'remove-option:1:3' });
    fields = builderFields(page.text);
    expect(optionIds(fields, 1)).toEqual(options.filter((_, i) => i !== 3));
    const questions = questionIds(fields);
    page = await post(manager, `${base}/surveys/every-type/edit`, { ...fields, action: 'remove-question:6' });
    expect(questionIds(builderFields(page.text))).toEqual(questions.filter((_, i) => i !== 6));
  });

  it('after the first vote, allows wording fixes but refuses structural edits with an explanation', async () => {
    expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields()), 303);
    const page = await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200);
    expect(page.text).toContain('This survey has answers');
    const fields = builderFields(page.text);
    const wording = expectStatus(await post(manager, `${base}/surveys/every-type/edit`, { ...fields, 'q.0.title.en': 'Rank your top three concerns', action: 'save' }), 303);
    expect(wording.headers.location).toContain('done=saved');
    const structural = expectStatus(await post(manager, `${base}/surveys/every-type/edit?lang=en`, { ...fields, 'q.0.options.0.id': 'car-theft', action: 'save' }), 409);
    expect(structural.text).toContain('can no longer change');
    expect(structural.text).toContain('Duplicate it as a new survey');
    expect((await surveyBySlug('every-type'))!.questions[0]).toMatchObject({ title: { en: 'Rank your top three concerns' }, options: [{ id: 'vehicle-theft' }, {}, {}, {}] });
  });
});

describe('lifecycle', () => {
  it('goes draft → scheduled (in the bureau time zone) → open → closed → archived', async () => {
    expectStatus(await post(manager, `${base}/surveys`, { source: 'template', template: 'advice-and-complaints' }), 303);
    const at = `${base}/surveys/advice-and-complaints`;
    expectStatus(await post(manager, `${at}/schedule`, { opensAt: '2030-01-01T09:00', closesAt: '2030-02-01T18:00' }), 303);
    let survey = await surveyBySlug('advice-and-complaints');
    expect(survey).toMatchObject({ status: 'scheduled' });
    expect(survey!.opensAt!.toISOString()).toBe('2030-01-01T01:00:00.000Z');
    expect(survey!.closesAt!.toISOString()).toBe('2030-02-01T10:00:00.000Z');
    // Announced: residents read when it opens, but get no form.
    const scheduled = await request(t.app).get('/b/test-bureau/s/advice-and-complaints?lang=en').expect(200);
    expect(scheduled.text).toContain('This survey opens on January 1, 2030 at 9:00 AM.');
    expect(scheduled.text).not.toContain('<form');
    expectStatus(await post(manager, `${at}/lifecycle/open`), 303);
    await request(t.app).get('/b/test-bureau/s/advice-and-complaints').expect(200);
    expectStatus(await post(manager, `${at}/lifecycle/close`), 303);
    expect((await request(t.app).get('/b/test-bureau/s/advice-and-complaints?lang=en').expect(200)).text).toContain('This survey has closed');
    expectStatus(await post(manager, `${at}/lifecycle/archive`), 303);
    survey = await surveyBySlug('advice-and-complaints');
    expect(survey!.status).toBe('archived');
    // A poster left on a wall still gets an answer: the survey has closed.
    expect((await request(t.app).get('/b/test-bureau/s/advice-and-complaints?lang=en').expect(200)).text).toContain('This survey has closed');
    const actions = (await t.container.models.AuditEntry.find({ 'target.label': 'advice-and-complaints' }).lean()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['survey.create', 'survey.schedule', 'survey.publish', 'survey.close', 'survey.archive']));
  });

  it('refuses impossible transitions and past schedules', async () => {
    const archive = expectStatus(await post(manager, `${base}/surveys/every-type/lifecycle/archive?lang=en`), 409);
    expect(archive.text).toContain('A survey that is open cannot be archived');
    expectStatus(await post(manager, `${base}/surveys`, { source: 'blank', slug: 'later' }), 303);
    const past = expectStatus(await post(manager, `${base}/surveys/later/schedule`, { opensAt: '2020-01-01T09:00' }), 422);
    expect(past.text).toContain('Choose an opening time in the future.');
    const garbled = expectStatus(await post(manager, `${base}/surveys/every-type/schedule`, { closesAt: '2030-13-45T09:00' }), 422);
    expect(garbled.text).toContain('closesAt: use the form YYYY-MM-DDTHH:MM.');
  });

  it('deletes drafts only, and duplicates any survey as a new draft', async () => {
    expectStatus(await post(manager, `${base}/surveys/every-type/delete`), 409);
    expectStatus(await post(manager, `${base}/surveys/every-type/duplicate`), 303);
    const copy = await surveyBySlug('every-type-copy');
    expect(copy).toMatchObject({ status: 'draft' });
    expectStatus(await post(manager, `${base}/surveys/every-type-copy/delete`), 303);
    expect(await surveyBySlug('every-type-copy')).toBeNull();
  });

  it('previews exactly the resident page in both languages, without a working form', async () => {
    const zh = await manager.get(`${base}/surveys/every-type/preview?preview=zh-CN`).expect(200);
    expect(zh.text).toContain('<html lang="zh-CN">');
    expect(zh.text).toContain('中文：Rank your top 3 concerns');
    expect(zh.text).toContain('<form id="survey-form" method="post" action="#"');
    const en = await manager.get(`${base}/surveys/every-type/preview?preview=en`).expect(200);
    expect(en.text).toContain('Rank your top 3 concerns');
    expect(en.text).toContain('Answers cannot be sent from here');
    expect(en.text).toMatch(/<button type="submit" class="button" disabled>/);
  });
});
