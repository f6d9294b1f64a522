import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { characterCount } from '../../../server/services/sharing/share-kit.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, STAFF_PASSWORD, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let manager: StaffAgent;
const at = '/staff/b/test-bureau/surveys/every-type';

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_PUBLIC_URL: 'http://minyi.example.cn' });
});
beforeEach(async () => {
  await t.reset();
  const { bureau } = await createBureauWithSurvey(t.container);
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
});
afterAll(async () => t?.close());

async function post(agent: StaffAgent, path: string, fields: Record<string, string> = {}) {
  const csrf = await agent.csrf();
  return agent.post(path).type('form').send({ _csrf: csrf, ...fields });
}

describe('sharing kit', () => {
  it('gives the link, a working short link, QR codes, a poster and 140-character posts in both languages', async () => {
    const survey = await t.container.models.Survey.findOne({ slug: 'every-type' }).lean();
    const page = await manager.get(`${at}/share?lang=en`).expect(200);
    expect(page.text).toContain('http://minyi.example.cn/b/test-bureau/s/every-type');
    expect(page.text).toContain(`http://minyi.example.cn/s/${survey!.shortCode}`);
    const short = await request(t.app).get(`/s/${survey!.shortCode}`).expect(302);
    expect(short.headers.location).toBe('/b/test-bureau/s/every-type');
    await request(t.app).get('/s/zzzzzzz').expect(404);

    const posts = [...page.text.matchAll(/<textarea id="post-(zh-CN|en)"[^>]*>([^<]*)<\/textarea>/g)].map((m) => m[2]!.replace(/&#x27;/g, "'").replace(/&amp;/g, '&'));
    expect(posts).toHaveLength(2);
    for (const post of posts) {
      expect(characterCount(post)).toBeLessThanOrEqual(140);
      expect(post).toContain(`http://minyi.example.cn/s/${survey!.shortCode}`);
    }
    expect(posts[0]).toMatch(/^【测试市公安局】/);

    const svg = await manager.get(`${at}/qr.svg`).expect(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.text ?? svg.body.toString()).toContain('<svg');
    const png = await manager.get(`${at}/qr.png`).buffer(true).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    expect((png.body as Buffer).readUInt32BE(16)).toBeGreaterThanOrEqual(1500);

    const poster = await manager.get(`${at}/poster?lang=zh-CN`).expect(200);
    expect(poster.text).toContain('扫码参与');
    expect(poster.text).toContain(`minyi.example.cn/s/${survey!.shortCode}`);
    expect(poster.text).toContain('/static/css/poster.css');
  });

  it('shortens a long title so the post stays within 140 characters', () => {
    const post = t.container.shareKit.microblogPost({ name: { 'zh-CN': '湖州市公安局', en: 'Huzhou Police' } }, { title: { 'zh-CN': '关于'.repeat(80), en: 'x'.repeat(300) }, shortCode: 'abcdefg' }, 'zh-CN');
    expect(characterCount(post)).toBe(140);
    expect(post).toContain('…');
    expect(post.endsWith('/s/abcdefg')).toBe(true);
  });

  it('lets only the embed page be framed, and it opens the survey in a new tab', async () => {
    const embed = await request(t.app).get('/embed/b/test-bureau/s/every-type?lang=en').expect(200);
    expect(embed.headers['content-security-policy']).toContain('frame-ancestors *');
    expect(embed.headers['x-frame-options']).toBeUndefined();
    expect(embed.text).toContain('target="_blank"');
    const page = await request(t.app).get('/b/test-bureau/s/every-type').expect(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});

describe('invitation codes screen', () => {
  it('downloads a batch once as CSV, shows use counts, and revokes a batch', async () => {
    const csv = expectStatus(await post(manager, `${at}/codes`, { count: '3', expires: '2099-12-31' }), 200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="every-type-codes-/);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('code,link');
    expect(lines).toHaveLength(4);
    const code = lines[1]!.split(',')[0]!;
    // Codes work once the survey asks for them.
    await t.container.models.Survey.updateOne({ slug: 'every-type' }, { $set: { 'settings.votePolicy': 'invitation' }, $inc: { revision: 1 } });
    t.container.directory.invalidate();
    expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ code })), 303);
    const page = await manager.get(`${at}/codes?lang=en`).expect(200);
    expect(page.text).toMatch(/<td class="num">3<\/td><td class="num">1<\/td>/);
    const batch = /<tr><td>(b[0-9a-z]+)<\/td>/.exec(page.text)![1]!;
    expectStatus(await post(manager, `${at}/codes/${batch}/revoke`), 303);
    expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ code: lines[2]!.split(',')[0]! })), 422);
    const actions = (await t.container.models.AuditEntry.find({ action: /^codes\./ }).lean()).map((e) => e.action).sort();
    expect(actions).toEqual(['codes.generate', 'codes.revoke']);
  });

  it('refuses a bad count with a message', async () => {
    const res = expectStatus(await post(manager, `${at}/codes?lang=en`, { count: '0' }), 422);
    expect(res.text).toContain('Enter a number of codes from 1 to 100000.');
  });
});

describe('staff and roles', () => {
  it('adds an analyst (new account) who can read but not manage, and removes the role again', async () => {
    expectStatus(await post(manager, '/staff/b/test-bureau/staff', { email: 'analyst@test.cn', name: 'Ana', role: 'analyst', password: 'a fresh long password' }), 303);
    const analyst = await signedInAgent(t.app, 'analyst@test.cn', 'a fresh long password');
    await analyst.get('/staff/b/test-bureau').expect(200);
    await analyst.get(`${at}/edit`).expect(404);
    await analyst.get('/staff/b/test-bureau/staff').expect(404);
    const user = await t.container.models.User.findOne({ email: 'analyst@test.cn' }).lean();
    expectStatus(await post(manager, `/staff/b/test-bureau/staff/${String(user!._id)}/revoke/analyst`), 303);
    await analyst.get('/staff/b/test-bureau').expect(404);
    const actions = (await t.container.models.AuditEntry.find({ action: /^role\./ }).lean()).map((e) => e.action);
    expect(actions).toEqual(['role.grant', 'role.revoke']);
  });

  it('refuses a weak first password, and a manager removing their own manager role', async () => {
    const weak = expectStatus(await post(manager, '/staff/b/test-bureau/staff?lang=en', { email: 'x@test.cn', name: 'X', role: 'analyst', password: 'password' }), 422);
    expect(weak.text).toContain('Use at least 10 characters.');
    const me = await t.container.models.User.findOne({ email: 'manager@test.cn' }).lean();
    expectStatus(await post(manager, `/staff/b/test-bureau/staff/${String(me!._id)}/revoke/manager`), 409);
  });

  it('lets a manager read their bureau audit log, newest first; entries cannot be changed through the app', async () => {
    expectStatus(await post(manager, `${at}/duplicate`), 303);
    expectStatus(await post(manager, '/staff/b/test-bureau/surveys/every-type-copy/delete'), 303);
    const page = await manager.get('/staff/b/test-bureau/audit').expect(200);
    const rows = [...page.text.matchAll(/<tr><td><time[^>]*>[^<]+<\/time><\/td><td>([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(rows).toEqual(['manager 删除了问卷草稿《every-type-copy》', 'manager 创建了问卷《every-type-copy》', 'manager 登录了工作台']);
    const before = await t.container.models.AuditEntry.countDocuments();
    const csrf = await manager.csrf();
    for (const method of ['put', 'patch', 'delete', 'post'] as const) {
      const res = await manager[method]('/staff/b/test-bureau/audit').type('form').send({ _csrf: csrf });
      expect(res.status).toBe(404);
    }
    expect(await t.container.models.AuditEntry.countDocuments()).toBe(before);
  });
});

describe('platform administration', () => {
  it('creates a bureau with its first manager, and grants a planner a region', async () => {
    await createStaff(t.container, 'root@test.cn', [{ role: 'admin' }]);
    const admin = await signedInAgent(t.app, 'root@test.cn');
    expectStatus(await post(admin, '/staff/admin/bureaus', {
      slug: 'ningbo-police', kind: 'police', 'name.zh-CN': '宁波市公安局', 'name.en': 'Ningbo Public Security Bureau', 'region.zh-CN': '浙江省', 'region.en': 'Zhejiang', 'city.zh-CN': '宁波市', 'city.en': 'Ningbo',
      timezone: 'Asia/Shanghai', defaultLocale: 'zh-CN', districts: 'haishu | 海曙区 | Haishu District\njiangbei | 江北区 | Jiangbei District',
      managerEmail: 'boss@ningbo.cn', managerName: '王经理', managerPassword: STAFF_PASSWORD,
    }), 303);
    const bureau = await t.container.models.Bureau.findOne({ slug: 'ningbo-police' }).lean();
    expect(bureau!.districts.map((d) => d.id)).toEqual(['haishu', 'jiangbei']);
    const boss = await signedInAgent(t.app, 'boss@ningbo.cn');
    await boss.get('/staff/b/ningbo-police/surveys/new').expect(200);
    await boss.get('/staff/b/test-bureau').expect(404);

    expectStatus(await post(admin, '/staff/admin/planners', { email: 'planner@zj.cn', name: 'Planner', scope: 'Zhejiang', password: STAFF_PASSWORD }), 303);
    const planner = await signedInAgent(t.app, 'planner@zj.cn');
    await planner.get('/staff/b/ningbo-police').expect(200);
    await planner.get('/staff/b/test-bureau').expect(200);
    await planner.get('/staff/b/test-bureau/surveys/new').expect(404);
    await admin.get('/staff/admin/audit').expect(200);
  });

  it('keeps the admin pages from everybody else', async () => {
    await manager.get('/staff/admin/bureaus').expect(404);
    expect((await post(manager, '/staff/admin/bureaus', { slug: 'x' })).status).toBe(404);
  });

  it('refuses a bureau with a bad district list and creates nothing', async () => {
    await createStaff(t.container, 'root@test.cn', [{ role: 'admin' }]);
    const admin = await signedInAgent(t.app, 'root@test.cn');
    const res = await post(admin, '/staff/admin/bureaus?lang=en', { slug: 'bad', kind: 'police', 'name.zh-CN': 'x', 'name.en': 'x', 'region.zh-CN': 'x', 'region.en': 'x', 'city.zh-CN': 'x', 'city.en': 'x', districts: 'only-one-column', managerEmail: 'a@b.cn', managerName: 'A', managerPassword: 'short' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Use at least 10 characters.');
    expect(await t.container.models.Bureau.exists({ slug: 'bad' })).toBeNull();
  });
});
