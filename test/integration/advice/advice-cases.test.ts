/**
 * Advice cases in the workspace: roles (managers and analysts act, planners read, settings are the
 * managers'), tenancy on every advice route, the queue's filters, status moves, replies, notes and moderation,
 * every change in the audit log in words, exports, the read API, and satisfaction codes for cases handled
 * outside Minyi.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bureau } from '../../../server/models/bureau.model.js';
import { codeFrom, createAdviceBureau, sendAdvice, validAdvice } from '../../utils/advice.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { expectStatus, newAgent } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let bureau: Bureau;
let other: Bureau;
let manager: StaffAgent;
let analyst: StaffAgent;
let planner: StaffAgent;
let outsider: StaffAgent;

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
  bureau = await createAdviceBureau(t.container);
  other = await createAdviceBureau(t.container, 'other-bureau');
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: bureau._id }]);
  await createStaff(t.container, 'planner@test.cn', [{ role: 'planner', region: 'Zhejiang' }]);
  await createStaff(t.container, 'outsider@test.cn', [{ role: 'manager', bureau: other._id }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
  analyst = await signedInAgent(t.app, 'analyst@test.cn');
  planner = await signedInAgent(t.app, 'planner@test.cn');
  outsider = await signedInAgent(t.app, 'outsider@test.cn');
});
beforeEach(async () => {
  await t.container.models.AdviceItem.deleteMany({});
  await t.container.models.SatisfactionVote.deleteMany({});
  await t.container.models.SatisfactionCode.deleteMany({});
  await t.container.models.AuditEntry.deleteMany({});
  t.container.adviceRateLimiter.clear();
});
afterAll(async () => t?.close());

async function newCase(fields: Record<string, string> = {}): Promise<string> {
  const before = new Set((await t.container.models.AdviceItem.find({}, { _id: 1 }).lean()).map((i) => i._id));
  codeFrom(await sendAdvice(newAgent(t.app), validAdvice(fields)));
  return (await t.container.models.AdviceItem.find({}, { _id: 1 }).lean()).map((i) => i._id).find((id) => !before.has(id))!;
}

const post = async (agent: StaffAgent, url: string, fields: Record<string, string>) => agent.post(url).type('form').send({ _csrf: await agent.csrf(), ...fields });

describe('roles and tenancy', () => {
  it('lets managers and analysts act, planners only read, and only managers change the settings', async () => {
    const id = await newCase();
    const url = `/staff/b/test-bureau/advice/${id}`;
    for (const agent of [manager, analyst, planner]) {
      expectStatus(await agent.get('/staff/b/test-bureau/advice'), 200);
      expectStatus(await agent.get(url), 200);
      expectStatus(await agent.get('/staff/b/test-bureau/advice/export.csv'), 200);
    }
    expectStatus(await post(planner, `${url}/status`, { status: 'in-progress' }), 404);
    expectStatus(await post(planner, `${url}/reply`, { reply: '答复' }), 404);
    expectStatus(await post(planner, `${url}/note`, { note: '备注' }), 404);
    expectStatus(await post(planner, `${url}/assign`, { assignee: '' }), 404);
    expectStatus(await post(planner, `${url}/moderate`, { publicApproved: 'yes' }), 404);
    expectStatus(await planner.get('/staff/b/test-bureau/advice/satisfaction'), 404);
    expect((await t.container.models.AdviceItem.findById(id).lean())!.status).toBe('received');
    // The planner's page offers no forms that change anything.
    expect((await planner.get(url)).text).not.toContain(`${url}/reply`);
    expectStatus(await post(analyst, `${url}/status`, { status: 'in-progress' }), 303);
    expectStatus(await analyst.get('/staff/b/test-bureau/advice/settings'), 404);
    expectStatus(await post(analyst, '/staff/b/test-bureau/advice/settings', { categories: 'x | 某 | X', replyWorkingDays: '3' }), 404);
    expectStatus(await manager.get('/staff/b/test-bureau/advice/settings'), 200);
    // Each sees links only to what they may open.
    const links = async (agent: StaffAgent) => (await agent.get('/staff/b/test-bureau/advice')).text;
    expect(await links(manager)).toContain('/advice/settings"');
    expect(await links(analyst)).not.toContain('/advice/settings"');
    expect(await links(analyst)).toContain('/advice/satisfaction"');
    expect(await links(planner)).not.toContain('/advice/satisfaction"');
  });

  it("answers 404 to staff of another bureau on every advice route, as for a bureau that does not exist, and changes nothing", async () => {
    const id = await newCase({ publish: 'yes' });
    const snapshot = async () => JSON.stringify({ items: await t.container.models.AdviceItem.find().lean(), bureaus: await t.container.models.Bureau.find().sort({ _id: 1 }).lean(), codes: await t.container.models.SatisfactionCode.countDocuments() });
    const before = await snapshot();
    const gets = ['', '/export.csv', '/export.xlsx', '/settings', '/satisfaction', `/${id}`];
    const posts: Array<[string, Record<string, string>]> = [
      ['/settings', { categories: 'x | 某 | X', replyWorkingDays: '3' }],
      ['/satisfaction', { label: 'x', count: '3' }],
      [`/${id}/assign`, { assignee: '' }],
      [`/${id}/status`, { status: 'closed' }],
      [`/${id}/reply`, { reply: '入侵者的答复' }],
      [`/${id}/note`, { note: '入侵者' }],
      [`/${id}/moderate`, { publicApproved: 'yes' }],
    ];
    const failures: string[] = [];
    for (const path of gets) {
      for (const slug of ['test-bureau', 'no-such-bureau']) {
        const res = await outsider.get(`/staff/b/${slug}/advice${path}`);
        if (res.status !== 404) failures.push(`GET ${slug}${path} → ${res.status}`);
      }
    }
    for (const [path, fields] of posts) {
      for (const slug of ['test-bureau', 'no-such-bureau']) {
        const res = await post(outsider, `/staff/b/${slug}/advice${path}`, fields);
        if (res.status !== 404) failures.push(`POST ${slug}${path} → ${res.status}`);
      }
    }
    // A case id of one bureau under another bureau's address (where the outsider is manager) is a 404 too.
    const crossed = await outsider.get(`/staff/b/other-bureau/advice/${id}`);
    if (crossed.status !== 404) failures.push(`GET other-bureau/${id} → ${crossed.status}`);
    const crossedPost = await post(outsider, `/staff/b/other-bureau/advice/${id}/reply`, { reply: '入侵者的答复' });
    if (crossedPost.status !== 404) failures.push(`POST other-bureau/${id}/reply → ${crossedPost.status}`);
    // The API too.
    const api = await outsider.get('/api/v1/bureaus/test-bureau/advice');
    if (api.status !== 404) failures.push(`API → ${api.status}`);
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
    expect(await t.container.models.AuditEntry.countDocuments({ action: /^advice\./ })).toBe(0);
  });

  it('sends strangers to the sign-in page', async () => {
    const res = await newAgent(t.app).get('/staff/b/test-bureau/advice');
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/staff\/login/);
  });
});

describe('working a case', () => {
  it('moves received → in progress → replied → closed, shows the reply to the resident, and audits each change in words', async () => {
    const agent = newAgent(t.app);
    const code = codeFrom(await sendAdvice(agent, validAdvice()));
    const id = (await t.container.models.AdviceItem.findOne().lean())!._id;
    const url = `/staff/b/test-bureau/advice/${id}`;
    const analystId = String((await t.container.models.User.findOne({ email: 'analyst@test.cn' }).lean())!._id);
    expectStatus(await post(manager, `${url}/assign`, { assignee: analystId }), 303);
    expectStatus(await post(manager, `${url}/assign`, { assignee: String((await t.container.models.User.findOne({ email: 'outsider@test.cn' }).lean())!._id) }), 422);
    expectStatus(await post(analyst, `${url}/status`, { status: 'in-progress' }), 303);
    // A move the case cannot make from where it is.
    expectStatus(await post(analyst, `${url}/status`, { status: 'received' }), 409);
    expectStatus(await post(analyst, `${url}/note`, { note: '已联系交警大队' }), 303);
    expectStatus(await post(analyst, `${url}/reply`, { reply: '' }), 422);
    expectStatus(await post(analyst, `${url}/reply`, { reply: '已在上学时段增派交警。' }), 303);
    const item = (await t.container.models.AdviceItem.findById(id).lean())!;
    expect(item).toMatchObject({ status: 'replied', reply: '已在上学时段增派交警。', assignee: expect.anything() });
    expect(item.repliedAt).toBeInstanceOf(Date);
    expect(item.notes.map((n) => n.text)).toEqual(['已联系交警大队']);
    const page = await analyst.get(url);
    expect(page.text).toContain('已联系交警大队');
    expect(page.text).toContain('analyst@test.cn');
    // The note stays internal; the reply is public to the resident.
    const track = await agent.get(`/track/${code}`);
    expect(track.text).toContain('已在上学时段增派交警。');
    expect(track.text).not.toContain('已联系交警大队');
    expectStatus(await post(manager, `${url}/status`, { status: 'closed' }), 303);
    expect((await t.container.models.AdviceItem.findById(id).lean())!.closedAt).toBeInstanceOf(Date);
    expectStatus(await post(manager, `${url}/reply`, { reply: '再次答复' }), 409);

    const audit = await manager.get('/staff/b/test-bureau/audit?lang=en');
    const ref = id.slice(0, 8).toUpperCase();
    for (const sentence of [`assigned advice case ${ref}`, `changed the status of advice case ${ref}`, `added a note to advice case ${ref}`, `replied to advice case ${ref}`]) expect(audit.text).toContain(sentence);
    expect(await t.container.models.AuditEntry.countDocuments({ action: /^advice\./ })).toBe(5);
    const filtered = await manager.get('/staff/b/test-bureau/audit?lang=en&action=advice.reply');
    expect(filtered.text).toContain(`replied to advice case ${ref}`);
    expect(filtered.text).not.toContain(`assigned advice case ${ref}`);
  });

  it('moderates from the case page: approval only with the resident’s consent', async () => {
    const yes = await newCase({ text: '可以公开的建议' });
    const no = await newCase({ text: '不可公开的建议', publish: 'no' });
    const refused = expectStatus(await post(manager, `/staff/b/test-bureau/advice/${no}/moderate?lang=en`, { publicApproved: 'yes' }), 409);
    expect(refused.text).toContain('The resident did not allow this text to be published.');
    expectStatus(await post(manager, `/staff/b/test-bureau/advice/${yes}/moderate`, { publicApproved: 'yes' }), 303);
    expect((await t.container.models.AdviceItem.findById(yes).lean())!.publicApproved).toBe(true);
    expect((await t.container.models.AdviceItem.findById(no).lean())!.publicApproved).toBe(false);
    expect((await newAgent(t.app).get('/b/test-bureau/advice')).text).toContain('可以公开的建议');
  });
});

describe('the queue', () => {
  it('filters by status, category, district, overdue and text', async () => {
    const a = await newCase({ category: 'traffic', district: 'wuxing', text: '红绿灯时间太短' });
    const b = await newCase({ category: 'theft', district: 'nanxun', text: '电动车被盗' });
    const c = await newCase({ category: 'theft', district: 'wuxing', text: '小区自行车被偷' });
    await t.container.models.AdviceItem.updateOne({ _id: c }, { $set: { dueAt: new Date(Date.now() - 3600_000) } });
    await t.container.models.AdviceItem.updateOne({ _id: b }, { $set: { status: 'in-progress' } });
    const refs = async (query: string) => {
      const html = (await analyst.get(`/staff/b/test-bureau/advice${query}`)).text;
      return [a, b, c].filter((id) => html.includes(id.slice(0, 8).toUpperCase())).sort();
    };
    expect(await refs('')).toEqual([a, b, c].sort());
    expect(await refs('?category=theft')).toEqual([b, c].sort());
    expect(await refs('?district=wuxing')).toEqual([a, c].sort());
    expect(await refs('?status=in-progress')).toEqual([b]);
    expect(await refs('?overdue=1')).toEqual([c]);
    expect(await refs('?q=%E8%A2%AB')).toEqual([b, c].sort());
    expect(await refs('?q=.*')).toEqual([]);
    expect(await refs('?q=%E7%BA%A2%E7%BB%BF%E7%81%AF&category=traffic')).toEqual([a]);
    // Values the page does not offer are ignored, not a 500.
    expectStatus(await analyst.get('/staff/b/test-bureau/advice?status[$ne]=x&category=$where&page=-3'), 200);
  });

  it('exports CSV (formulas neutralised, no contact) and XLSX, audited', async () => {
    await newCase({ text: '=HYPERLINK("http://x")', contact: '13900000000', contactConsent: 'yes' });
    const csv = expectStatus(await manager.get('/staff/b/test-bureau/advice/export.csv').buffer(true), 200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.startsWith('\uFEFF')).toBe(true);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv.text).not.toContain('13900000000');
    const xlsx = await manager.get('/staff/b/test-bureau/advice/export.xlsx').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(xlsx.status).toBe(200);
    expect((xlsx.body as Buffer).subarray(0, 2).toString()).toBe('PK');
    expect(await t.container.models.AuditEntry.countDocuments({ action: 'advice.export' })).toBe(2);
  });

  it('serves the cases to the read API, for a bureau token and for staff', async () => {
    const id = await newCase();
    const { token } = await t.container.apiTokens.create(bureau._id, 'test', 'manager@test.cn');
    const res = expectStatus(await newAgent(t.app).get('/api/v1/bureaus/test-bureau/advice').set('Authorization', `Bearer ${token}`), 200);
    expect(res.body.cases).toHaveLength(1);
    expect(res.body.cases[0]).toMatchObject({ id, status: 'received', category: 'traffic' });
    expect(res.body.cases[0]).not.toHaveProperty('contact');
    expectStatus(await newAgent(t.app).get('/api/v1/bureaus/other-bureau/advice').set('Authorization', `Bearer ${token}`), 404);
    expectStatus(await planner.get('/api/v1/bureaus/test-bureau/advice'), 200);
    const openapi = (await newAgent(t.app).get('/api/v1/openapi.json')).body;
    expect(openapi.paths['/bureaus/{bureau}/advice'].get.operationId).toBe('listAdviceCases');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(openapi, 'openapi.json');
    const check = ajv.getSchema('openapi.json#/components/schemas/AdviceCases')!;
    expect(check(res.body), JSON.stringify(check.errors)).toBe(true);
  });
});

describe('settings', () => {
  it('edits the categories and the reply deadline, which the advice box then uses', async () => {
    const bad = await post(manager, '/staff/b/test-bureau/advice/settings?lang=en', { categories: 'Bad Id | 名 | Name\nok | 好 | OK\nok | 又 | Again', replyWorkingDays: '0' });
    expectStatus(bad, 422);
    expect(bad.text).toContain('Line 1 must read');
    expect(bad.text).toContain('The id “ok” is used twice.');
    expectStatus(await post(manager, '/staff/b/test-bureau/advice/settings', { categories: 'traffic | 交通 | Traffic\nnoise | 噪音扰民 | Noise', replyWorkingDays: '3' }), 303);
    const updated = (await t.container.models.Bureau.findById(bureau._id).lean<Bureau>())!;
    expect(updated.replyWorkingDays).toBe(3);
    expect(updated.adviceCategories.map((c) => c.id)).toEqual(['traffic', 'noise']);
    expect((await newAgent(t.app).get('/b/test-bureau/advice')).text).toContain('噪音扰民');
    expect(await t.container.models.AuditEntry.countDocuments({ action: 'advice.settings' })).toBe(1);
    // Restored for the other tests.
    await createAdviceBureau(t.container);
  });
});

describe('satisfaction codes', () => {
  it('makes a batch of one-time codes as CSV; each rates once, with the three answers', async () => {
    const res = expectStatus(await post(analyst, '/staff/b/test-bureau/advice/satisfaction', { label: '12345热线十一月', count: '3' }), 200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const rows = res.text.replace(/^\uFEFF/, '').trim().split(/\r\n/);
    expect(rows[0]).toBe('code,link');
    expect(rows).toHaveLength(4);
    const codes = rows.slice(1).map((row) => row.split(',')[0]!);
    for (const row of rows.slice(1)) expect(row).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4},http.*\/rate\/[0-9A-Z-]{19}$/);
    const dump = JSON.stringify(await t.container.models.SatisfactionCode.find().lean());
    for (const code of codes) expect(dump).not.toContain(code);

    const resident = newAgent(t.app);
    const page = expectStatus(await resident.get(`/rate/${codes[0]}`), 200);
    expect(page.text).toContain('基本满意');
    const parallel = await Promise.all([1, 2, 3, 4].map(() => resident.post(`/rate/${codes[0]}`).type('form').send({ rating: 'basically-satisfied' })));
    expect(parallel.map((r) => r.status).sort()).toEqual([303, 409, 409, 409]);
    expectStatus(await resident.post(`/rate/${codes[1]}`).type('form').send({ rating: 'dissatisfied', comment: '等了太久' }), 303);
    expectStatus(await resident.get('/rate/AAAA-BBBB-CCCC-DDDD'), 404);
    const votes = await t.container.models.SatisfactionVote.find().lean();
    expect(votes).toHaveLength(2);
    expect(votes.every((v) => v.source === 'code' && v._id.startsWith('code:'))).toBe(true);

    const batches = expectStatus(await analyst.get('/staff/b/test-bureau/advice/satisfaction'), 200);
    expect(batches.text).toContain('12345热线十一月');
    const summary = await t.container.adviceCases.codeBatches(bureau);
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ codes: 3, ratings: { satisfied: 0, 'basically-satisfied': 1, dissatisfied: 1 } });
    expect(await t.container.models.AuditEntry.countDocuments({ action: 'advice.codes' })).toBe(1);
    expectStatus(await post(analyst, '/staff/b/test-bureau/advice/satisfaction', { label: '', count: '0' }), 422);
  });
});
