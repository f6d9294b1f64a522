/** "You said, we did": actions recorded by staff, the public page's figures, small cells, and moderation of what is quoted. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bureau } from '../../../server/models/bureau.model.js';
import type { Survey } from '../../../server/models/survey.model.js';
import { wilsonInterval } from '../../../server/services/dashboards/statistics.js';
import { createBureauWithSurvey, createTestBureau, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let bureau: Bureau;
let survey: Survey;
let manager: StaffAgent;
let planner: StaffAgent;
let outsider: StaffAgent;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '5' });
});
afterAll(async () => t?.close());

beforeEach(async () => {
  await t.reset();
  ({ bureau, survey } = await createBureauWithSurvey(t.container));
  await t.container.models.Bureau.updateOne({ _id: bureau._id }, { $set: { adviceCategories: [{ id: 'traffic', name: { 'zh-CN': '交通', en: 'Traffic' } }, { id: 'security', name: { 'zh-CN': '治安', en: 'Public security' } }] } });
  t.container.directory.invalidate();
  const other = await createTestBureau(t.container, 'other-bureau');
  await createStaff(t.container, 'm@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  await createStaff(t.container, 'p@test.cn', [{ role: 'planner', bureau: bureau._id }]);
  await createStaff(t.container, 'o@test.cn', [{ role: 'manager', bureau: other._id }]);
  manager = await signedInAgent(t.app, 'm@test.cn');
  planner = await signedInAgent(t.app, 'p@test.cn');
  outsider = await signedInAgent(t.app, 'o@test.cn');
});

async function advice(fields: { text: string; receivedDaysAgo: number; replyDays?: number; dueDays?: number; approved?: boolean; consent?: boolean; category?: string }) {
  const receivedAt = new Date(Date.now() - fields.receivedDaysAgo * DAY);
  await t.container.models.AdviceItem.create({
    _id: randomBytes(8).toString('hex'),
    bureau: bureau._id,
    trackingHash: randomBytes(8).toString('hex'),
    category: fields.category ?? 'security',
    district: 'wuxing',
    text: fields.text,
    locale: 'zh-CN',
    publishConsent: fields.consent ?? false,
    publicApproved: fields.approved ?? false,
    status: fields.replyDays === undefined ? 'received' : 'replied',
    receivedAt,
    dueAt: new Date(receivedAt.getTime() + (fields.dueDays ?? 7) * DAY),
    repliedAt: fields.replyDays === undefined ? null : new Date(receivedAt.getTime() + fields.replyDays * DAY),
  });
}

async function recordAction(agent: StaffAgent, fields: Record<string, string>) {
  return agent.post('/staff/b/test-bureau/actions').type('form').send({ _csrf: await agent.csrf(), titleZh: '夜间巡逻', titleEn: 'Night patrols', bodyZh: '增加小区夜间巡逻', bodyEn: 'More night patrols in housing estates', status: 'done', startedOn: '2026-11-01', endedOn: '2026-11-30', ...fields });
}

describe('actions', () => {
  it('are recorded by bureau staff, checked, audited; planners and other bureaus get 404', async () => {
    const bad = await recordAction(manager, { titleZh: '', titleEn: '', status: 'finished', startedOn: '2026-13-01', evidence: 'concern:nope' });
    expect(bad.status).toBe(422);
    for (const field of ['f-title', 'f-status', 'f-startedOn', 'f-evidence']) expect(bad.text).toContain(`href="#${field}"`);
    expect((await recordAction(manager, { evidence: 'concern:ebike-theft', endedOn: '2026-10-01' })).status).toBe(422);
    expect((await recordAction(planner, { evidence: 'concern:ebike-theft' })).status).toBe(404);
    expect((await outsider.post('/staff/b/test-bureau/actions').type('form').send({ _csrf: await outsider.csrf(), titleZh: 'x', bodyZh: 'y', status: 'done', startedOn: '2026-11-01', evidence: 'concern:ebike-theft' })).status).toBe(404);
    // A question of another bureau's survey is not evidence here.
    const foreign = await createBureauWithSurvey(t.container, { slug: 'other-bureau', mutate: (d) => { d.slug = 'foreign'; } });
    expect((await recordAction(manager, { evidence: `question:${String(foreign.survey._id)}:patrols` })).status).toBe(422);
    expect(await t.container.models.AccountabilityAction.countDocuments({})).toBe(0);

    expect((await recordAction(manager, { evidence: 'concern:ebike-theft' })).status).toBe(303);
    const [action] = await t.container.models.AccountabilityAction.find({}).lean();
    expect(action).toMatchObject({ title: { 'zh-CN': '夜间巡逻', en: 'Night patrols' }, status: 'done', startedOn: '2026-11-01', endedOn: '2026-11-30', evidence: { kind: 'concern', concern: 'ebike-theft' }, createdBy: 'm@test.cn' });
    const id = String(action!._id);
    const csrf = await manager.csrf();
    expect((await manager.post(`/staff/b/test-bureau/actions/${id}/edit`).type('form').send({ _csrf: csrf, titleZh: '夜间巡逻加强', bodyZh: '每晚巡逻', status: 'in-progress', startedOn: '2026-11-01', evidence: `question:${String(survey._id)}:patrols` })).status).toBe(303);
    expect((await outsider.get(`/staff/b/test-bureau/actions/${id}/edit`)).status).toBe(404);
    expect((await planner.get('/staff/b/test-bureau/actions')).status).toBe(200);
    expect((await manager.post(`/staff/b/test-bureau/actions/${id}/delete`).type('form').send({ _csrf: csrf })).status).toBe(303);
    const audit = (await t.container.models.AuditEntry.find({ bureau: bureau._id }).sort({ at: 1 }).lean()).map((e) => e.action);
    expect(audit).toEqual(['action.create', 'action.edit', 'action.delete']);
  });
});

describe('the public accountability page', () => {
  it('shows advice per month and category, the median reply time, replies within the deadline and satisfaction with its Wilson interval', async () => {
    // Six replied cases (1, 2, 3, 4, 6, 9 days; deadline 7 days): median 3.5 days, 5 of 6 in time; one overdue unreplied case.
    for (const [i, days] of [1, 2, 3, 4, 6, 9].entries()) await advice({ text: `意见 ${i}`, receivedDaysAgo: 20 + i, replyDays: days, category: i % 2 ? 'traffic' : 'security' });
    await advice({ text: '逾期未复', receivedDaysAgo: 30 });
    await advice({ text: '刚收到', receivedDaysAgo: 1 });
    const ratings = ['satisfied', 'satisfied', 'basically-satisfied', 'satisfied', 'dissatisfied', 'basically-satisfied', 'satisfied', 'dissatisfied'] as const;
    for (const [i, rating] of ratings.entries()) await t.container.models.SatisfactionVote.create({ _id: `advice:${i}`, bureau: bureau._id, source: 'advice', batch: null, rating, comment: null, month: '2026-11' });
    const page = expectStatus(await newAgent(t.app).get('/b/test-bureau/accountability?lang=en'), 200);
    page.text = page.text.replace(/&#x3D;/g, '=');
    expect(page.text).toContain('8 pieces of advice and complaints received in all.');
    expect(page.text).toContain('Median time to reply: 3.5 days (n = 6 replies).');
    // Due: the six replied and the overdue one; the case received yesterday is not due yet.
    const due = wilsonInterval(5, 7)!;
    const pct = (v: number) => `${(Math.round(v * 1000) / 10).toFixed(1)}%`;
    expect(page.text).toContain(`71.4% of cases due were replied to within the deadline (95% interval ${pct(due.low)}–${pct(due.high)}, n = 7).`);
    const sat = wilsonInterval(6, 8)!;
    expect(page.text).toContain(`75.0% satisfied or basically satisfied (95% Wilson interval ${pct(sat.low)}–${pct(sat.high)}, n = 8 ratings).`);
    // Per month and category: every case is counted in its month's row; the table's totals add up to 8.
    const totals = [...page.text.matchAll(/<tr><th scope="row">[^<]+<\/th>(?:<td class="num">\d+<\/td>)+<\/tr>/g)].map((row) => [...row[0].matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1])));
    expect(totals.length).toBe(12);
    expect(totals.reduce((sum, row) => sum + row.at(-1)!, 0)).toBe(8);
    expect(totals.every((row) => row.slice(0, -1).reduce((a, b) => a + b, 0) <= row.at(-1)!)).toBe(true);
    const zh = expectStatus(await newAgent(t.app).get('/b/test-bureau/accountability?lang=zh-CN'), 200);
    expect(zh.text).toContain('答复用时中位数：3.5 天（共 6 件已答复）。');
  });

  it('withholds shares and medians below the small-cell threshold', async () => {
    for (const [i, days] of [1, 2, 3, 4].entries()) await advice({ text: `意见 ${i}`, receivedDaysAgo: 20 + i, replyDays: days });
    for (let i = 0; i < 4; i += 1) await t.container.models.SatisfactionVote.create({ _id: `advice:${i}`, bureau: bureau._id, source: 'advice', batch: null, rating: 'satisfied', comment: null, month: '2026-11' });
    const page = expectStatus(await newAgent(t.app).get('/b/test-bureau/accountability?lang=en'), 200);
    expect(page.text.match(/Not shown: based on 4, fewer than 5\./g)).toHaveLength(3);
    expect(page.text).not.toContain('100.0%');
    expect(page.text).not.toContain('Median time to reply');
  });

  it('quotes only advice the resident allowed and staff approved; never survey answers or other texts', async () => {
    await advice({ text: '电动车被偷 APPROVED-QUOTE', receivedDaysAgo: 10, approved: true, consent: true });
    await advice({ text: '电动车被偷 NOT-APPROVED', receivedDaysAgo: 11, approved: false, consent: true });
    await advice({ text: '电动车被偷 NO-CONSENT', receivedDaysAgo: 12, approved: true, consent: false });
    await manager.post('/staff/b/test-bureau/concerns/import').field('_csrf', await manager.csrf()).attach('file', Buffer.from(`text,time\n电瓶车被盗 MICROBLOG-TEXT,${new Date(Date.now() - 5 * DAY).toISOString()}`), 'p.csv').expect(200);
    expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ advice: '电动车被偷 SURVEY' })), 303);
    const today = new Date().toISOString().slice(0, 10);
    expect((await recordAction(manager, { evidence: 'concern:ebike-theft', startedOn: today, endedOn: '' })).status).toBe(303);
    const page = expectStatus(await newAgent(t.app).get('/b/test-bureau/accountability?lang=en'), 200);
    expect(page.text).toContain('Night patrols');
    expect(page.text).toContain('More night patrols in housing estates');
    expect(page.text).toContain('APPROVED-QUOTE');
    for (const hidden of ['NOT-APPROVED', 'NO-CONSENT', 'MICROBLOG-TEXT', 'SURVEY']) expect(page.text).not.toContain(hidden);
    // The evidence counts every text of the concern in the 8 weeks before it started today: the three advice
    // items and the post, whatever their moderation (a count shows no text); not the vote cast today.
    expect(page.text).toContain('“E-bike theft”: 4 messages in the 8 weeks before the action started.');
  });

  it('shows a survey question before and after, when a later wave of the same template exists', async () => {
    const later = (await createBureauWithSurvey(t.container, { mutate: (d) => { d.slug = 'every-type-2'; } })).survey;
    await t.container.models.Survey.updateMany({ bureau: bureau._id }, { $set: { template: 'every-type' } });
    await t.container.models.Survey.updateOne({ _id: later._id }, { $set: { createdAt: new Date(Date.now() + 1000) } }, { timestamps: false });
    for (let i = 0; i < 6; i += 1) expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ patrols: i < 4 ? 'rarely' : 'weekly' })), 303);
    for (let i = 0; i < 5; i += 1) expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type-2', validFields({ patrols: i < 1 ? 'rarely' : 'daily' })), 303);
    await t.container.tallyWriter.drain();
    t.container.tallies.clear();
    expect((await recordAction(manager, { evidence: `question:${String(survey._id)}:patrols` })).status).toBe(303);
    const page = expectStatus(await newAgent(t.app).get('/b/test-bureau/accountability?lang=en'), 200);
    const row = (label: string) => new RegExp(`<th scope="row">${label}</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td>`).exec(page.text)?.slice(1);
    expect(row('Rarely')).toEqual(['66.7%', '20.0%']);
    expect(row('Daily')).toEqual(['0.0%', '80.0%']);
    expect(row('Weekly')).toEqual(['33.3%', '0.0%']);
    // Results a survey does not publish are not shown here either.
    await t.container.models.Survey.updateOne({ _id: survey._id }, { $set: { 'settings.publicResults': 'never' } });
    const hidden = expectStatus(await newAgent(t.app).get('/b/test-bureau/accountability?lang=en'), 200);
    expect(hidden.text).toContain('The results of this survey are not public yet.');
    expect(hidden.text).not.toContain('66.7%');
  });

  it('is a 404 for a bureau that does not exist', async () => {
    expect((await newAgent(t.app).get('/b/no-such-bureau/accountability')).status).toBe(404);
  });
});
