/** Issue 17, part 3: staff pages that read well (audit log in words, confirmations, preview language, poster dates). */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus } from '../../utils/resident.js';
import { createStaff, csrfOf, signedInAgent, STAFF_PASSWORD, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let manager: StaffAgent;
const audit = '/staff/b/test-bureau/audit';
const at = '/staff/b/test-bureau/surveys/every-type';

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_PUBLIC_URL: 'http://minyi.example.cn' });
});
beforeEach(async () => {
  await t.reset();
  const { bureau } = await createBureauWithSurvey(t.container);
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  await t.container.accounts.create({ email: 'wang@test.cn', name: '王五', password: STAFF_PASSWORD, roles: [{ role: 'analyst', bureau: bureau._id }] });
  await createStaff(t.container, 'stranger@elsewhere.cn', []);
  manager = await signedInAgent(t.app, 'manager@test.cn');
});
afterAll(async () => t?.close());

async function post(agent: StaffAgent, path: string, fields: Record<string, string> = {}) {
  const csrf = await agent.csrf();
  return agent.post(path).type('form').send({ _csrf: csrf, ...fields });
}

async function failedSignIn(email: string) {
  const agent = request.agent(t.app);
  const csrf = await csrfOf(agent);
  await agent.post('/staff/login').type('form').send({ _csrf: csrf, email, password: 'not the password at all' });
}

const sentences = (html: string) => [...html.matchAll(/<tr><td><time[^>]*>[^<]+<\/time><\/td><td>([^<]+)<\/td>/g)].map((m) => m[1]!.replace(/&quot;/g, '"'));

describe('audit log in words', () => {
  it('words every entry in Chinese and English, shows details as fields, and includes the sign-ins of the bureau staff only', async () => {
    await failedSignIn('wang@test.cn');
    await signedInAgent(t.app, 'wang@test.cn');
    await signedInAgent(t.app, 'stranger@elsewhere.cn');
    await failedSignIn('stranger@elsewhere.cn');
    expectStatus(await post(manager, `${at}/duplicate`), 303);
    expectStatus(await post(manager, '/staff/b/test-bureau/surveys/every-type-copy/delete'), 303);

    const zh = await manager.get(`${audit}?lang=zh-CN`).expect(200);
    expect(sentences(zh.text)).toEqual([
      'manager 删除了问卷草稿《every-type-copy》',
      'manager 创建了问卷《every-type-copy》',
      '王五 登录了工作台',
      '有人以 王五 的账号登录失败（密码错误或账号不存在）',
      'manager 登录了工作台',
    ]);
    expect(zh.text).not.toContain('stranger');
    expect(zh.text).not.toMatch(/<td>[^<]*survey\.delete/);
    expect(zh.text).not.toMatch(/<td>[^<]*\{"/);

    const en = await manager.get(`${audit}?lang=en`).expect(200);
    expect(sentences(en.text)).toEqual([
      'manager deleted the draft “every-type-copy”',
      'manager created the survey “every-type-copy”',
      '王五 signed in',
      'A sign-in as 王五 failed (wrong password or no such account)',
      'manager signed in',
    ]);
  });

  it('shows times in the bureau time zone and details escaped, never as JSON', async () => {
    const bureau = await t.container.models.Bureau.findOne({ slug: 'test-bureau' }).lean();
    await t.container.models.AuditEntry.deleteMany({});
    // 16:30 UTC on 1 March is 00:30 on 2 March in Shanghai.
    await t.container.models.AuditEntry.create({ at: new Date('2026-03-01T16:30:00Z'), actor: null, actorEmail: 'wang@test.cn', action: 'export', bureau: bureau!._id, target: { kind: 'survey', id: null, label: 'every-type' }, details: { file: '<b>x</b>.csv', filter: { district: 'A' } } });
    const zh = await manager.get(`${audit}?lang=zh-CN`).expect(200);
    expect(zh.text).toContain('2026年3月2日 00:30:00');
    expect(zh.text).toContain('王五 导出了问卷《every-type》的数据');
    expect(zh.text).toContain('<dt>文件</dt><dd>&lt;b&gt;x&lt;/b&gt;.csv</dd>');
    expect(zh.text).toContain('<dt>筛选条件</dt><dd>district: A</dd>');
    await t.container.models.AuditEntry.create({ at: new Date('2026-03-01T17:00:00Z'), actor: null, actorEmail: 'wang@test.cn', action: 'role.revoke', bureau: bureau!._id, target: { kind: 'user', id: null, label: 'li@test.cn' }, details: { role: 'analyst' } });
    const role = await manager.get(`${audit}?lang=zh-CN&action=role.revoke`).expect(200);
    expect(role.text).toContain('王五 移除了 li@test.cn 的角色');
    expect(role.text).toContain('<dt>角色</dt><dd>分析员</dd>');
    const en = await manager.get(`${audit}?lang=en`).expect(200);
    expect(en.text).toContain('Mar 2, 2026, 12:30:00');
    expect(en.text).not.toMatch(/4:30:00/);
  });

  it('filters by action and by person with GET parameters, kept in the pagination links', async () => {
    await failedSignIn('wang@test.cn');
    await signedInAgent(t.app, 'wang@test.cn');
    const failed = await manager.get(`${audit}?lang=en&action=login.failed`).expect(200);
    expect(sentences(failed.text)).toEqual(['A sign-in as 王五 failed (wrong password or no such account)']);
    expect(failed.text).toMatch(/<option value="login.failed" selected>/);
    const wang = await manager.get(`${audit}?lang=en&person=wang%40test.cn`).expect(200);
    expect(sentences(wang.text)).toEqual(['王五 signed in', 'A sign-in as 王五 failed (wrong password or no such account)']);
    const both = await manager.get(`${audit}?lang=en&person=wang%40test.cn&action=login`).expect(200);
    expect(sentences(both.text)).toEqual(['王五 signed in']);

    const bureau = await t.container.models.Bureau.findOne({ slug: 'test-bureau' }).lean();
    await t.container.models.AuditEntry.insertMany(Array.from({ length: 60 }, (_, i) => ({ at: new Date(Date.UTC(2026, 0, 1, 0, i)), actor: null, actorEmail: 'wang@test.cn', action: 'export', bureau: bureau!._id, target: { kind: 'survey', id: null, label: `s${i}` }, details: {} })));
    const first = await manager.get(`${audit}?lang=en&person=wang%40test.cn&action=export`).expect(200);
    expect(sentences(first.text)).toHaveLength(50);
    const older = /href="([^"]+)">Older entries/.exec(first.text)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    expect(older).toBe(`${audit}?action=export&person=wang%40test.cn&page=2`);
    const second = await manager.get(`${older}&lang=en`).expect(200);
    expect(sentences(second.text)).toHaveLength(10);
    expect(sentences(second.text).every((s) => s.startsWith('王五 exported'))).toBe(true);
  });
});

describe('preview language', () => {
  it('previews in English while the workspace stays Chinese', async () => {
    await manager.get('/staff?lang=zh-CN').expect(200);
    const overview = await manager.get(at).expect(200);
    expect(overview.text.replace(/&#x3D;/g, "=")).toContain(`${at}/preview?preview=en`);
    const preview = await manager.get(`${at}/preview?preview=en`).expect(200);
    expect(preview.text).toContain('<html lang="en"');
    expect(String(preview.headers['set-cookie'] ?? '')).not.toContain('minyi_lang');
    const after = await manager.get(at).expect(200);
    expect(after.text).toContain('<html lang="zh-CN"');
  });
});

describe('poster', () => {
  it('shows when the survey opens and closes, in the bureau time zone and the poster language', async () => {
    // 16:00 UTC on 1 May is midnight on 2 May in Shanghai; 15:59 UTC on 30 June is 23:59 there.
    await t.container.models.Survey.updateOne({ slug: 'every-type' }, { $set: { opensAt: new Date('2026-05-01T16:00:00Z'), closesAt: new Date('2026-06-30T15:59:00Z') } });
    const zh = await manager.get(`${at}/poster?lang=zh-CN`).expect(200);
    expect(zh.text).toContain('开始时间：2026年5月2日 00:00');
    expect(zh.text).toContain('截止时间：2026年6月30日 23:59');
    const en = await manager.get(`${at}/poster?lang=en`).expect(200);
    expect(en.text).toMatch(/Opens May 2, 2026[^<]*12:00\sAM/);
    expect(en.text).toMatch(/Closes June 30, 2026[^<]*11:59\sPM/);
  });
});

const decode = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

describe('confirmation of destructive actions', () => {
  it('asks before deleting a draft: GET changes nothing, POST without CSRF is refused, POST with CSRF deletes', async () => {
    expectStatus(await post(manager, `${at}/duplicate`), 303);
    const copy = '/staff/b/test-bureau/surveys/every-type-copy';
    const overview = await manager.get(`${copy}?lang=zh-CN`).expect(200);
    expect(overview.text).toContain(`<a href="${copy}/delete"`);
    expect(overview.text).not.toMatch(new RegExp(`<form method="post" action="${copy}/delete"`));

    const ask = await manager.get(`${copy}/delete?lang=zh-CN`).expect(200);
    expect(ask.text).toContain('确定删除草稿');
    expect(ask.text).toMatch(new RegExp(`<form method="post" action="${copy}/delete"[^>]*>\\s*<input type="hidden" name="_csrf" value="[^"]+">`));
    expect(ask.text).toContain(`href="${copy}"`);
    const askEn = await manager.get(`${copy}/delete?lang=en`).expect(200);
    expect(askEn.text).toContain('Delete the draft');
    expect(await t.container.models.Survey.countDocuments({ slug: 'every-type-copy' })).toBe(1);

    const forged = await manager.post(`${copy}/delete`).type('form').send({});
    expect(forged.status).toBe(403);
    expect(await t.container.models.Survey.countDocuments({ slug: 'every-type-copy' })).toBe(1);

    const csrf = /name="_csrf" value="([^"]+)"/.exec(ask.text)![1]!;
    await manager.post(`${copy}/delete`).type('form').send({ _csrf: csrf }).expect(303);
    expect(await t.container.models.Survey.countDocuments({ slug: 'every-type-copy' })).toBe(0);
  });

  it('asks before closing, archiving, revoking codes or a token and removing a role, and GET does none of them', async () => {
    const bureau = await t.container.models.Bureau.findOne({ slug: 'test-bureau' }).lean();
    const survey = await t.container.models.Survey.findOne({ slug: 'every-type' }).lean();
    const { id: tokenId } = await t.container.apiTokens.create(bureau!._id, 'Open data <portal>', 'manager@test.cn');
    const { batch } = await t.container.codes.generate(survey!._id, 3);
    const wang = await t.container.models.User.findOne({ email: 'wang@test.cn' }).lean();
    const pages: [string, string, string][] = [
      [`${at}/lifecycle/close`, 'Close “', at],
      [`${at}/lifecycle/archive`, 'Archive “', at],
      [`${at}/codes/${batch}/revoke`, `Revoke the invitation code batch ${batch}?`, `${at}/codes`],
      [`/staff/b/test-bureau/tokens/${tokenId}/revoke`, 'Revoke the API token “Open data &lt;portal&gt;”?', '/staff/b/test-bureau/tokens'],
      [`/staff/b/test-bureau/staff/${String(wang!._id)}/revoke/analyst`, 'Remove the role “Analyst” from 王五?', '/staff/b/test-bureau/staff'],
    ];
    const codesPage = decode((await manager.get(`${at}/codes?lang=en`).expect(200)).text);
    expect(codesPage).toContain(`<a href="${at}/codes/${batch}/revoke"`);
    const tokensPage = decode((await manager.get('/staff/b/test-bureau/tokens?lang=en').expect(200)).text);
    expect(tokensPage).toContain(`<a href="/staff/b/test-bureau/tokens/${tokenId}/revoke"`);
    for (const [url, question, cancel] of pages) {
      const ask = await manager.get(`${url}?lang=en`).expect(200);
      expect(ask.text).toContain(question);
      expect(ask.text).toContain(`<form method="post" action="${url}"`);
      expect(decode(ask.text)).toContain(`href="${cancel}"`);
    }
    expect((await t.container.models.Survey.findOne({ slug: 'every-type' }).lean())!.status).toBe(survey!.status);
    expect((await t.container.codes.batches(survey!._id)).find((b) => b.batch === batch)!.revoked).toBeFalsy();
    expect((await t.container.apiTokens.list(bureau!._id)).find((tk) => String(tk._id) === tokenId)!.revoked).toBeFalsy();
    expect((await t.container.models.User.findOne({ email: 'wang@test.cn' }).lean())!.roles).toHaveLength(1);
    // An action that asks nothing has no question page.
    await manager.get(`${at}/lifecycle/reopen`).expect(404);
    await manager.get(`${at}/codes/no-such-batch/revoke`).expect(404);

    // And the POST behind each still does it.
    expectStatus(await post(manager, `/staff/b/test-bureau/tokens/${tokenId}/revoke`), 303);
    expect((await t.container.apiTokens.list(bureau!._id)).find((tk) => String(tk._id) === tokenId)!.revoked).toBe(true);
  });
});

describe('responsive embed', () => {
  it('offers a snippet whose iframe follows the card height, with a min-height for pages without script', async () => {
    const page = await manager.get(`${at}/share?lang=en`).expect(200);
    const snippet = /<textarea id="embed-code"[^>]*>([^<]*)<\/textarea>/.exec(page.text)![1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x3D;/g, '=').replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
    expect(snippet).not.toContain('height="260"');
    expect(snippet).toMatch(/min-height:3\d\dpx/);
    expect(snippet).toContain('e.origin!=="http://minyi.example.cn"');
    expect(snippet).toContain('minyi-embed-height');
    const embed = await request(t.app).get('/embed/b/test-bureau/s/every-type?lang=en').expect(200);
    expect(embed.text).toContain('<script src="/static/js/embed.js" defer></script>');
    await request(t.app).get('/static/js/embed.js').expect(200).expect(/minyi-embed-height/);
  });
});
