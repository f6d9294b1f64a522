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
  for (const m of html.matchAll(/<input type="checkbox" id="[^"]*" name="([^"]+)"(?: value="([^"]*)")? checked>/g)) fields[m[1]!] = m[2] === undefined ? 'on' : decode(m[2]);
  for (const m of html.matchAll(/<select id="[^"]*" name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
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
  /** One builder button: the change is kept for the author and the page comes back at the question it changed. */
  async function press(survey: string, fields: Record<string, string>, action: string, extra: Record<string, string> = {}) {
    const res = expectStatus(await post(manager, `${base}/surveys/${survey}/edit`, { ...fields, ...extra, action }), 303);
    const [path, fragment] = res.headers.location!.split('#');
    const page = await manager.get(`${path}?lang=en`).expect(200);
    return { fragment, page, fields: builderFields(page.text) };
  }

  it('adds a ranking and a rating question without JavaScript, checks them, and saves', async () => {
    expectStatus(await post(manager, `${base}/surveys`, { source: 'blank', slug: 'built' }), 303);
    const page = await manager.get(`${base}/surveys/built/edit?lang=en`).expect(200);
    let step = await press('built', builderFields(page.text), 'add-question:ranking');
    expect(step.fragment).toBe('question-1');
    expect(step.page.text).toContain('Changes are not saved');
    expect(step.fields['q.1.type']).toBe('ranking');
    // The older form of the button (a type chosen beside one "Add" button) still works.
    step = await press('built', step.fields, 'add-question', { newType: 'rating' });
    expect(step.fragment).toBe('question-2');
    const fields = step.fields;
    // Saving with empty texts is refused, with the error beside the field, in words.
    const refused = expectStatus(await post(manager, `${base}/surveys/built/edit?lang=en`, { ...fields, action: 'save' }), 422);
    expect(refused.text).toContain('href="#f-q-1-title-en"');
    expect(refused.text).toMatch(/id="f-q-1-title-en-error">Fill this in\./);
    expect(refused.text).toMatch(/id="f-q-1-options"[\s\S]*?Give at least 2 options, one per line\./);
    // The Chinese page says it in Chinese.
    const refusedZh = expectStatus(await post(manager, `${base}/surveys/built/edit?lang=zh-CN`, { ...fields, action: 'save' }), 422);
    expect(refusedZh.text).toMatch(/id="f-q-1-title-en-error">请填写此项。/);
    Object.assign(fields, {
      'q.1.title.zh-CN': '请排序', 'q.1.title.en': 'Rank these', 'q.1.options.zh-CN': '甲\n乙\n丙', 'q.1.options.en': 'A\nB\nC', 'q.1.rankCount': '2',
      'q.2.title.zh-CN': '满意吗', 'q.2.title.en': 'Satisfied?', 'q.2.lowLabel.zh-CN': '不满意', 'q.2.lowLabel.en': 'No', 'q.2.highLabel.zh-CN': '满意', 'q.2.highLabel.en': 'Yes', 'q.2.scale': '10',
    });
    const saved = expectStatus(await post(manager, `${base}/surveys/built/edit`, { ...fields, action: 'save' }), 303);
    expect(saved.headers.location).toBe(`${base}/surveys/built/edit?done=saved`);
    const survey = await surveyBySlug('built');
    expect(survey!.questions.map((q) => q.type)).toEqual(['single', 'ranking', 'rating']);
    expect(survey!.questions[1]).toMatchObject({ rankCount: 2, options: [{ id: 'a', label: { 'zh-CN': '甲', en: 'A' } }, { id: 'b' }, { id: 'c' }] });
    expect(survey!.questions[2]).toMatchObject({ scale: 10, lowLabel: { en: 'No' } });
    expect(survey!.revision).toBe(2);
    // Saved: the unsaved work is gone from the session.
    expect((await manager.get(`${base}/surveys/built/edit?lang=en`).expect(200)).text).not.toContain('Changes are not saved');
  });

  it('explains a bad address in words and keeps what was typed', async () => {
    const fields = builderFields((await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200)).text);
    const refused = expectStatus(await post(manager, `${base}/surveys/every-type/edit?lang=en`, { ...fields, slug: 'Night Safety!', 'title.en': 'Kept title', action: 'save' }), 422);
    expect(refused.text).toContain('id="f-slug-error">Use only lower-case letters a–z, digits and single hyphens');
    expect(refused.text).not.toContain('expected ^');
    expect(refused.text).toContain('value="Night Safety!"');
    expect(refused.text).toContain('value="Kept title"');
    expect(refused.text).toContain('Address (slug): Use only lower-case');
  });

  it('sets a condition by choosing an earlier question and ticking its answers', async () => {
    let step = await press('every-type', builderFields((await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200)).text), 'add-question:text');
    const last = Number(step.fragment!.replace('question-', ''));
    expect(step.page.text).toContain(`<option value="victim">Question ${Object.keys(step.fields).filter((k) => /^q\.\d+\.type$/.test(k)).findIndex((k) => step.fields[k] === 'yes-no') + 1}: `);
    // Without JavaScript: choose the question, ask for its answers, tick one.
    step = await press('every-type', { ...step.fields, [`q.${last}.showIf.question`]: 'victim' }, `condition:${last}`);
    expect(step.fragment).toBe(`question-${last}`);
    expect(step.page.text).toMatch(new RegExp(`name="q\\.${last}\\.showIf\\.answers\\.victim" value="no"`));
    Object.assign(step.fields, { [`q.${last}.title.zh-CN`]: '请说明', [`q.${last}.title.en`]: 'Please explain', [`q.${last}.showIf.answers.victim`]: 'no' });
    expectStatus(await post(manager, `${base}/surveys/every-type/edit`, { ...step.fields, action: 'save' }), 303);
    expect((await surveyBySlug('every-type'))!.questions[last]!.showIf).toEqual({ question: 'victim', anyOf: ['no'] });
  });

  it('warns the author of a word too long for a phone, and lets the survey be saved', async () => {
    const page = await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200);
    expect(page.text).not.toContain('run over 40 characters');
    const url = `https://example.gov.cn/${'a'.repeat(40)}`;
    const fields = builderFields(page.text);
    const step = await press('every-type', { ...fields, 'q.0.title.en': `See ${url}` }, 'add-question:single');
    expect(step.page.text).toContain('run over 40 characters');
    expect(step.page.text).toContain(`<code>${url.slice(0, 57)}…</code>`);
    expectStatus(await post(manager, `${base}/surveys/every-type/edit`, { ...fields, 'q.0.title.en': `See ${url}`, action: 'save' }), 303);
    expect((await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200)).text).toContain('run over 40 characters');
  });

  it('reorders and removes questions, keeps option ids through edits of their lines, and discards unsaved work', async () => {
    let step = await press('every-type', builderFields((await manager.get(`${base}/surveys/every-type/edit`).expect(200)).text), 'condition:0');
    // The builder's ids in form order, so each step can be shown to have changed exactly what it says.
    const inOrder = (f: Record<string, string>, pattern: RegExp) => Object.keys(f).filter((k) => pattern.test(k)).sort((a, b) => Number(pattern.exec(a)![1]) - Number(pattern.exec(b)![1])).map((k) => f[k]);
    const questionIds = (f: Record<string, string>) => inOrder(f, /^q\.(\d+)\.id$/);
    const [first, second, ...rest] = questionIds(step.fields);
    step = await press('every-type', step.fields, 'move-down:0');
    expect(step.fragment).toBe('question-1');
    expect(questionIds(step.fields)).toEqual([second, first, ...rest]);
    // Moved by drag: "move:from:to".
    step = await press('every-type', step.fields, 'move:1:0');
    expect(step.fragment).toBe('question-0');
    expect(questionIds(step.fields)).toEqual([first, second, ...rest]);
    // The ranking's options: one removed, one reworded, one added; the others keep their ids.
    const zh = step.fields['q.0.options.zh-CN']!.split('\n');
    const en = step.fields['q.0.options.en']!.split('\n');
    const before = (await surveyBySlug('every-type'))!.questions[0] as unknown as { options: Array<{ id: string }> };
    zh.splice(3, 1);
    en.splice(3, 1);
    en[0] = 'Car theft';
    zh.push('新的问题');
    en.push('A new problem');
    const questions = questionIds(step.fields);
    step = await press('every-type', { ...step.fields, 'q.0.options.zh-CN': zh.join('\n'), 'q.0.options.en': en.join('\n') }, 'remove-question:6');
    expect(step.fragment).toBe(`question-${Math.min(6, questions.length - 2)}`);
    expect(questionIds(step.fields)).toEqual(questions.filter((_, i) => i !== 6));
    const ids = before.options.map((o) => o.id).filter((_, i) => i !== 3);
    expect(/Option ids \(for exports\): ([^<]*)/.exec(step.page.text)?.[1]).toBe([...ids, 'a-new-problem'].join(', '));
    // Discarding goes back to the saved survey.
    const discarded = expectStatus(await post(manager, `${base}/surveys/every-type/edit`, { action: 'discard' }), 303);
    expect(discarded.headers.location).toBe(`${base}/surveys/every-type/edit?done=discarded`);
    const fresh = await manager.get(`${discarded.headers.location}&lang=en`).expect(200);
    expect(fresh.text).toContain('Unsaved changes discarded.');
    expect(fresh.text).not.toContain('Changes are not saved');
    expect(questionIds(builderFields(fresh.text))).toEqual([first, second, ...rest]);
  });

  it('after the first vote, allows wording fixes but refuses structural edits with an explanation', async () => {
    expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields()), 303);
    const page = await manager.get(`${base}/surveys/every-type/edit?lang=en`).expect(200);
    expect(page.text).toContain('This survey has answers');
    const fields = builderFields(page.text);
    // Rewording an option in place keeps its id, so it is a wording fix.
    const lines = fields['q.0.options.en']!.split('\n');
    lines[0] = 'Theft of vehicles';
    const wording = expectStatus(await post(manager, `${base}/surveys/every-type/edit`, { ...fields, 'q.0.title.en': 'Rank your top three concerns', 'q.0.options.en': lines.join('\n'), action: 'save' }), 303);
    expect(wording.headers.location).toContain('done=saved');
    const structural = expectStatus(await post(manager, `${base}/surveys/every-type/edit?lang=en`, { ...fields, 'q.0.options.en': `${fields['q.0.options.en']}\nA new one`, 'q.0.options.zh-CN': `${fields['q.0.options.zh-CN']}\n新的`, action: 'save' }), 409);
    expect(structural.text).toContain('can no longer change');
    expect(structural.text).toContain('Duplicate it as a new survey');
    expect((await surveyBySlug('every-type'))!.questions[0]).toMatchObject({ title: { en: 'Rank your top three concerns' }, options: [{ id: 'vehicle-theft', label: { en: 'Theft of vehicles' } }, {}, {}, {}] });
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
    // Told in the page's language, with the times typed still in the form.
    const past = expectStatus(await post(manager, `${base}/surveys/later/schedule?lang=zh-CN`, { opensAt: '2020-01-01T09:00', closesAt: '2020-02-01T09:00' }), 422);
    expect(past.text).toContain('请选择将来的开始时间。');
    expect(past.text).toContain('value="2020-01-01T09:00"');
    expect(past.text).toContain('value="2020-02-01T09:00"');
    const garbled = expectStatus(await post(manager, `${base}/surveys/every-type/schedule?lang=en`, { closesAt: '2030-13-45T09:00' }), 422);
    expect(garbled.text).toContain('Closes at: enter a date and time, e.g. 2027-03-01 09:00.');
    expect(garbled.text).toContain('value="2030-13-45T09:00"');
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
