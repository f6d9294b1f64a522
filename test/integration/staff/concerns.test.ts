/** The concerns page: microblog import (400/413/422, dedupe), exact counts from every source, rename/merge/pin, roles and tenancy, audit. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bureau } from '../../../server/models/bureau.model.js';
import { ConcernsService } from '../../../server/services/concerns/concerns.service.js';
import { loadVocabulary } from '../../../server/services/concerns/vocabulary.js';
import { IMPORT_LIMIT_BYTES } from '../../../server/web/staff/concerns.routes.js';
import { createBureauWithSurvey, createTestBureau, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let bureau: Bureau;
let other: Bureau;
let manager: StaffAgent;
let analyst: StaffAgent;
let planner: StaffAgent;
let outsider: StaffAgent;

const DAY = 86_400_000;
const iso = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
afterAll(async () => t?.close());

beforeEach(async () => {
  await t.reset();
  bureau = (await createBureauWithSurvey(t.container)).bureau;
  other = await createTestBureau(t.container, 'other-bureau');
  await createStaff(t.container, 'm@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  await createStaff(t.container, 'a@test.cn', [{ role: 'analyst', bureau: bureau._id }]);
  await createStaff(t.container, 'p@test.cn', [{ role: 'planner', bureau: bureau._id }]);
  await createStaff(t.container, 'o@test.cn', [{ role: 'manager', bureau: other._id }]);
  [manager, analyst, planner, outsider] = (await Promise.all(['m@test.cn', 'a@test.cn', 'p@test.cn', 'o@test.cn'].map((email) => signedInAgent(t.app, email)))) as [StaffAgent, StaffAgent, StaffAgent, StaffAgent];
});

async function upload(agent: StaffAgent, content: string | Buffer, filename = 'posts.csv', slug = 'test-bureau') {
  const csrf = await agent.csrf();
  return agent.post(`/staff/b/${slug}/concerns/import`).set('Accept-Language', 'en').field('_csrf', csrf).attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);
}

/** The concerns table as { name: count }. */
function counts(html: string): Record<string, number> {
  const rows = [...html.matchAll(/<tr>\s*<td class="num">\d+<\/td>\s*<td><a href="[^"]+">([^<]+)<\/a>[\s\S]*?<\/td>\s*<td class="num">(\d+)<\/td>/g)];
  return Object.fromEntries(rows.map((m) => [m[1]!, Number(m[2])]));
}

const CSV = [
  'text,time,district',
  `电动车被盗，第三次了,${iso(1)},wuxing`,
  `"我的电瓶车昨晚被偷了, 求扩散",${iso(2)},nanxun区`,
  `广场舞太吵了，噪音扰民,${iso(3)},`,
  `隔壁装修的噪声，还有楼下电动车被偷,${iso(9)},Deqing District`,
  `今天天气很好,${iso(1)},`,
].join('\r\n');

describe('microblog import', () => {
  it('stores each post once: the same file again adds nothing', async () => {
    const first = expectStatus(await upload(manager, CSV), 200);
    expect(first.text).toContain('5 posts read: 5 added, 0 already there');
    const again = expectStatus(await upload(manager, CSV), 200);
    expect(again.text).toContain('5 posts read: 0 added, 5 already there');
    expect(await t.container.models.MicroblogPost.countDocuments({ bureau: bureau._id })).toBe(5);
    const stored = await t.container.models.MicroblogPost.find({ bureau: bureau._id }).lean();
    expect(stored.map((p) => p.district).sort()).toEqual(['deqing', 'nanxun', 'wuxing', null, null].sort());
    // The id is a keyed hash: not the text, and not a plain hash anyone could compute.
    expect(stored.every((p) => /^[\w-]{32}$/.test(p._id) && !p._id.includes('电'))).toBe(true);
    const audit = await t.container.models.AuditEntry.find({ action: 'concerns.import' }).lean();
    expect(audit.map((a) => a.details)).toEqual([{ received: 5, added: 5, duplicates: 0 }, { received: 5, added: 0, duplicates: 5 }]);
  });

  it('takes JSON, with times in the bureau time zone when they carry none', async () => {
    const json = JSON.stringify([{ text: 'My e-bike was stolen', time: '2026-11-30 21:05' }, { text: '诈骗电话太多', time: '2026-11-30T13:05:00Z', district: 'wuxing' }]);
    expectStatus(await upload(manager, json, 'posts.json'), 200);
    const stored = await t.container.models.MicroblogPost.find({ bureau: bureau._id }).sort({ text: 1 }).lean();
    expect(stored.map((p) => p.postedAt.toISOString())).toEqual(['2026-11-30T13:05:00.000Z', '2026-11-30T13:05:00.000Z']);
  });

  it('answers 400 to a file it cannot read, 422 naming the bad rows, and stores nothing of either', async () => {
    for (const bad of ['[{"text": "x", "time": ', 'words,when\nabc,2026-11-30 10:00', '', '\u00ff\u00fe'.padEnd(10, '\u0000')]) {
      const res = await upload(manager, bad === '\u00ff\u00fe'.padEnd(10, '\u0000') ? Buffer.from([0xff, 0xfe, 0xc3, 0x28]) : bad);
      expect(res.status, bad).toBe(400);
    }
    const res = await upload(manager, ['text,time,district', `fine,${iso(1)},wuxing`, `,${iso(1)},`, `too late,2999-01-01 10:00,`, `where,${iso(1)},atlantis`, `${'长'.repeat(2001)},${iso(1)},`].join('\n'));
    expectStatus(res, 422);
    expect(res.text).toContain('Row 3: the text is empty');
    expect(res.text).toContain('Row 4: the time is in the future');
    expect(res.text).toContain('Row 5: the district');
    expect(res.text).toContain('Row 6: the text is longer than 2000 characters');
    expect(await t.container.models.MicroblogPost.countDocuments({})).toBe(0);
  });

  it('answers 413 to a file over the limit', async () => {
    const big = Buffer.alloc(IMPORT_LIMIT_BYTES + 1000, 'a');
    const res = await upload(manager, big);
    expect(res.status).toBe(413);
    expect(await t.container.models.MicroblogPost.countDocuments({})).toBe(0);
  });

  it('lets the bureau analysts import; planners and other bureaus get 404', async () => {
    expectStatus(await upload(analyst, CSV), 200);
    expect((await upload(planner, CSV)).status).toBe(404);
    expect((await upload(outsider, CSV)).status).toBe(404);
    expect((await upload(outsider, CSV, 'posts.csv', 'other-bureau')).status).toBe(200);
    expect(await t.container.models.MicroblogPost.countDocuments({ bureau: bureau._id })).toBe(5);
    // A form without the CSRF token changes nothing.
    const res = await manager.post('/staff/b/test-bureau/concerns/import').attach('file', Buffer.from(CSV), 'posts.csv');
    expect(res.status).toBe(403);
  });
});

describe('concerns page', () => {
  it('counts each concern exactly over posts, advice and survey answers', async () => {
    await upload(manager, CSV);
    await t.container.models.AdviceItem.create({ _id: randomBytes(8).toString('hex'), bureau: bureau._id, trackingHash: randomBytes(8).toString('hex'), category: 'traffic', district: 'wuxing', text: 'Phone scam calls every day, and my e-bike was stolen', locale: 'en', receivedAt: new Date(Date.now() - 4 * DAY), dueAt: new Date(), status: 'received' });
    const resident = newAgent(t.app);
    expectStatus(await vote(resident, '/b/test-bureau/s/every-type', validFields({ advice: '电动车被偷，诈骗电话多' })), 303);
    await t.container.tallyWriter.drain();
    const page = expectStatus(await planner.get('/staff/b/test-bureau/concerns'), 200);
    expect(counts(page.text)).toEqual({ 电动车被盗: 5, 电信网络诈骗: 2, 噪音扰民: 2 });
    expect(page.text).toContain('共 7 条文本，其中 6 条涉及至少一项关切');
    // E-bike texts this week: posts 1 and 2 days old, the advice (4 days), the vote (now); last week: the 9-day-old post.
    expect(page.text).toMatch(/↑ 增加 3<\/span><br><span class="meta">本周 4，上周 1/);
    const only = await planner.get('/staff/b/test-bureau/concerns?source=microblog&lang=en');
    expect(counts(only.text)).toEqual({ 'E-bike theft': 3, Noise: 2 });
  });

  it('counts the same without the native segmenter, and says so', async () => {
    await upload(manager, CSV);
    const fallback = new ConcernsService(t.container.models, { secret: t.config.secret, vocabulary: loadVocabulary(), forceFallback: true });
    const [native, plain] = await Promise.all([t.container.concerns.overview(bureau), fallback.overview(bureau)]);
    expect([native.segmenter, plain.segmenter]).toEqual(['jieba', 'vocabulary']);
    const summary = (o: typeof native) => o.concerns.map((c) => [c.id, c.count, c.thisWeek, c.lastWeek]);
    expect(summary(plain)).toEqual(summary(native));
    expect(summary(native)).toEqual([['ebike-theft', 3, 2, 1], ['noise', 2, 1, 1]]);
  });

  it('shows every text of a concern, escaped', async () => {
    await upload(manager, `text,time\n"<script>alert(1)</script>电动车被偷了",${iso(1)}\n电瓶车被盗,${iso(2)}`);
    const page = expectStatus(await analyst.get('/staff/b/test-bureau/concerns/ebike-theft'), 200);
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;电动车被偷了');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).toContain('电瓶车被盗');
    expect((await analyst.get('/staff/b/test-bureau/concerns/no-such-concern')).status).toBe(404);
    expect((await outsider.get('/staff/b/test-bureau/concerns/ebike-theft')).status).toBe(404);
    expect((await outsider.get('/staff/b/test-bureau/concerns')).status).toBe(404);
  });

  it('renames, merges (each text once), splits and pins per bureau, in the audit log', async () => {
    await upload(manager, CSV);
    const csrf = await analyst.csrf();
    expect((await analyst.post('/staff/b/test-bureau/concerns/noise/merge').type('form').send({ _csrf: csrf, into: 'ebike-theft' })).status).toBe(303);
    expect((await analyst.post('/staff/b/test-bureau/concerns/ebike-theft/rename').type('form').send({ _csrf: csrf, nameZh: '电动车与噪音', nameEn: 'E-bikes and noise' })).status).toBe(303);
    expect((await analyst.post('/staff/b/test-bureau/concerns/street-lights/pin').type('form').send({ _csrf: csrf, pinned: '1' })).status).toBe(303);
    let page = await analyst.get('/staff/b/test-bureau/concerns');
    // Post 4 speaks of both: counted once. The pinned concern leads with no texts at all.
    expect(counts(page.text)).toEqual({ 路灯不亮: 0, 电动车与噪音: 4 });
    expect(page.text.indexOf('路灯不亮')).toBeLessThan(page.text.indexOf('电动车与噪音'));
    // Another bureau's list is untouched by these changes.
    await upload(outsider, CSV, 'posts.csv', 'other-bureau');
    expect(counts((await outsider.get('/staff/b/other-bureau/concerns')).text)).toEqual({ 电动车被盗: 3, 噪音扰民: 2 });
    // A merge into itself, or into a concern merged into it, is refused.
    expect((await analyst.post('/staff/b/test-bureau/concerns/ebike-theft/merge').type('form').send({ _csrf: csrf, into: 'noise' })).status).toBe(409);
    expect((await analyst.post('/staff/b/test-bureau/concerns/noise/unmerge').type('form').send({ _csrf: csrf })).status).toBe(303);
    page = await analyst.get('/staff/b/test-bureau/concerns');
    expect(counts(page.text)).toEqual({ 路灯不亮: 0, 电动车与噪音: 3, 噪音扰民: 2 });
    expect((await planner.post('/staff/b/test-bureau/concerns/noise/pin').type('form').send({ _csrf: await planner.csrf(), pinned: '1' })).status).toBe(404);
    const actions = (await t.container.models.AuditEntry.find({ bureau: bureau._id }).sort({ at: 1 }).lean()).map((a) => a.action);
    expect(actions).toEqual(['concerns.import', 'concern.merge', 'concern.rename', 'concern.pin', 'concern.unmerge']);
  });

  it('tracks a frequent word as a concern of the bureau', async () => {
    await upload(manager, ['text,time', ...['共享单车太乱', '共享单车挡路', '共享单车堆满人行道'].map((s, i) => `${s},${iso(i + 1)}`)].join('\n'));
    const page = await manager.get('/staff/b/test-bureau/concerns');
    expect(page.text).toContain('共享单车');
    const res = await manager.post('/staff/b/test-bureau/concerns/new').type('form').send({ _csrf: await manager.csrf(), term: '共享单车' });
    expect(res.status).toBe(303);
    expect(counts((await manager.get('/staff/b/test-bureau/concerns')).text)).toEqual({ 共享单车: 3 });
  });
});
