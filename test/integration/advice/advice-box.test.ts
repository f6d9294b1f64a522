/**
 * The resident's side of advice cases: the advice box post (protections, validation, idempotent retries),
 * tracking codes (unguessable, stored only hashed, not linkable to the address), satisfaction once per case,
 * moderation before anything is public, and due dates in the bureau's time zone.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bureau } from '../../../server/models/bureau.model.js';
import { hashClientAddress } from '../../../server/services/voting/client-address.js';
import { replyDueAt } from '../../../server/services/advice/working-days.js';
import { codeFrom, createAdviceBureau, openAdviceForm, sendAdvice, validAdvice } from '../../utils/advice.js';
import { dumpDatabase } from '../../utils/database-dump.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { encodeForm, expectStatus, newAgent } from '../../utils/resident.js';

let t: TestApp;
let bureau: Bureau;
const staffActor = { id: '000000000000000000000001', email: 'm@test.cn', name: 'm', roles: [{ role: 'admin' as const, bureau: null, region: null }] };

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
beforeEach(async () => {
  await t.reset();
  bureau = await createAdviceBureau(t.container);
});
afterAll(async () => t?.close());

describe('the advice box', () => {
  it('takes advice and gives a tracking code that leads to the case', async () => {
    const agent = newAgent(t.app);
    const res = await sendAdvice(agent, validAdvice({ contact: '13800000000', contactConsent: 'yes' }));
    const code = codeFrom(res);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const sent = expectStatus(await agent.get(res.headers.location!), 200);
    expect(sent.text).toContain(code);
    expect(sent.text).toContain(`/track/${code}`);
    const track = expectStatus(await agent.get(`/track/${code}?lang=en`), 200);
    expect(track.text).toContain('Received');
    expect(track.text).toContain('学校门口早上堵车严重');
    // Typed by hand: lower case, without dashes, with O for 0 and I or L for 1.
    const typed = code.toLowerCase().replace(/-/g, '').replace(/0/g, 'o').replace(/1/g, 'l');
    expectStatus(await agent.get(`/track/${typed}`), 200);
    const item = await t.container.models.AdviceItem.findOne().lean();
    expect(item).toMatchObject({ category: 'traffic', district: 'wuxing', contact: '13800000000', publishConsent: true, publicApproved: false, status: 'received' });
  });

  it('keeps a contact only with the explicit consent', async () => {
    codeFrom(await sendAdvice(newAgent(t.app), validAdvice({ contact: '13800000000' })));
    const item = await t.container.models.AdviceItem.findOne().lean();
    expect(item!.contact).toBeNull();
    expect(await dumpDatabase(t)).not.toContain('13800000000');
  });

  it('gives one case for a form posted twice (a retry), with the same code', async () => {
    const agent = newAgent(t.app);
    const token = await openAdviceForm(agent);
    const first = codeFrom(await sendAdvice(agent, validAdvice(), { token }));
    const again = await Promise.all([1, 2, 3].map(() => sendAdvice(agent, validAdvice(), { token })));
    for (const res of again) expect(codeFrom(res)).toBe(first);
    expect(await t.container.models.AdviceItem.countDocuments()).toBe(1);
    // Another form is another case.
    expect(codeFrom(await sendAdvice(agent, validAdvice()))).not.toBe(first);
    expect(await t.container.models.AdviceItem.countDocuments()).toBe(2);
  });

  it('counts the 2,000 characters by code points, as survey pages do', async () => {
    const agent = newAgent(t.app);
    codeFrom(await sendAdvice(agent, validAdvice({ text: '警'.repeat(2000) })));
    // Emoji are two UTF-16 units each but one character.
    codeFrom(await sendAdvice(agent, validAdvice({ text: '😀'.repeat(2000) })));
    const tooLong = expectStatus(await sendAdvice(agent, validAdvice({ text: '警'.repeat(2001) })), 422);
    expect(tooLong.text).toContain('1');
    expect(tooLong.text).toContain('警'.repeat(2001));
    expect(await t.container.models.AdviceItem.countDocuments()).toBe(2);
  });

  it('sends the form back, with the answers kept, when something is missing', async () => {
    const agent = newAgent(t.app);
    const res = expectStatus(await sendAdvice(agent, { text: '路灯坏了', publish: '', category: 'no-such' }), 422);
    expect(res.text).toContain('路灯坏了');
    expect(res.text).toContain('请从列出的类别中选择');
    expect(res.text).toContain('请选择是否同意公开');
    const en = expectStatus(await agent.post('/b/test-bureau/advice?lang=en').type('form').send(encodeForm({ _form: await openAdviceForm(agent), text: '', category: 'traffic', publish: 'no' })), 422);
    expect(en.text).toContain('Write your advice or complaint');
    expect(await t.container.models.AdviceItem.countDocuments()).toBe(0);
  });

  it('has the vote form protections: form token, CSRF cookie, honeypot, fields it does not know', async () => {
    const agent = newAgent(t.app);
    const token = await openAdviceForm(agent);
    expectStatus(await agent.post('/b/test-bureau/advice').type('form').send(encodeForm(validAdvice())), 400);
    expectStatus(await agent.post('/b/test-bureau/advice').type('form').send(encodeForm({ _form: `${token}x`, ...validAdvice() })), 400);
    expectStatus(await sendAdvice(agent, { ...validAdvice(), website: 'http://spam' }, { token }), 400);
    expectStatus(await sendAdvice(agent, { ...validAdvice(), status: 'closed' }, { token }), 400);
    // Another browser (no CSRF cookie of that form) cannot send it.
    expectStatus(await sendAdvice(newAgent(t.app), validAdvice(), { token }), 403);
    expect(await t.container.models.AdviceItem.countDocuments()).toBe(0);
  });

  it('is a 404 for a bureau without advice categories, or none at all', async () => {
    await t.container.models.Bureau.updateOne({ _id: bureau._id }, { $set: { adviceCategories: [] } });
    t.container.directory.invalidate();
    await newAgent(t.app).get('/b/test-bureau/advice').expect(404);
    await newAgent(t.app).get('/b/no-such-bureau/advice').expect(404);
  });
});

describe('tracking codes', () => {
  it('are unguessable: 80 random bits, unknown and altered codes are 404, the same for each', async () => {
    const agent = newAgent(t.app);
    const codes = new Set<string>();
    for (let i = 0; i < 12; i += 1) codes.add(codeFrom(await sendAdvice(agent, validAdvice({ text: `第${i}条` }))));
    expect(codes.size).toBe(12);
    const [code] = [...codes] as [string];
    const altered = `${code.slice(0, -1)}${code.endsWith('2') ? '3' : '2'}`;
    const unknown = await agent.get(`/track/${altered}`);
    expect(unknown.status).toBe(404);
    const malformed = await agent.get('/track/not-a-code');
    expect(malformed.status).toBe(404);
    const main = (html: string) => /<main[^>]*>([\s\S]*?)<p class="meta">/.exec(html)?.[1];
    expect(main(malformed.text)).toBeDefined();
    expect(main(malformed.text)).toBe(main(unknown.text));
    // Characters are spread over the whole alphabet (a counter or a clock would repeat its leading ones).
    const firsts = new Set([...codes].map((c) => c.slice(0, 2)));
    expect(firsts.size).toBeGreaterThan(8);
  });

  it('are stored only as keyed hashes, and nothing stored links a case to the address it came from', async () => {
    const code = codeFrom(await sendAdvice(newAgent(t.app), validAdvice()));
    const dump = await dumpDatabase(t);
    const normalized = code.replace(/-/g, '');
    expect(dump).not.toContain(code);
    expect(dump).not.toContain(normalized);
    expect(dump).not.toContain(createHash('sha256').update(normalized).digest('base64url'));
    expect(dump).not.toContain('127.0.0.1');
    expect(dump).not.toContain(hashClientAddress('127.0.0.1', t.config.secret));
    expect(dump).not.toContain(hashClientAddress('::ffff:127.0.0.1', t.config.secret));
    const item = await t.container.models.AdviceItem.findOne().lean();
    // The received time is the hour, not the second; the id is random, not a time-ordered ObjectId.
    expect(item!.receivedAt.getTime() % 3_600_000).toBe(0);
    expect(item!._id).toMatch(/^[0-9a-f]{20}$/);
    expect(Object.keys(item!).sort()).toEqual(['_id', 'bureau', 'category', 'closedAt', 'contact', 'district', 'dueAt', 'locale', 'notes', 'publicApproved', 'publishConsent', 'receivedAt', 'repliedAt', 'reply', 'status', 'assignee', 'text', 'trackingHash'].sort());
  });

  it('guesses from one address are limited (429 with Retry-After)', async () => {
    const limited = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_VOTE_RATE_LIMIT: '3' });
    try {
      await createAdviceBureau(limited.container);
      const agent = newAgent(limited.app);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await agent.get(`/track/AAAA-AAAA-AAAA-AAA${i}`)).status);
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      // And so are advice posts.
      const posts: number[] = [];
      const firstToken = await openAdviceForm(agent);
      const first = codeFrom(await sendAdvice(agent, validAdvice({ text: '第一条' }), { token: firstToken }));
      for (let i = 0; i < 3; i += 1) posts.push((await sendAdvice(agent, validAdvice({ text: `第${i}条` }))).status);
      expect(posts).toEqual([303, 303, 429]);
      const refused = await sendAdvice(agent, validAdvice());
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // Over the limit, a retry of a form already stored still gets its code.
      expect(codeFrom(await sendAdvice(agent, validAdvice({ text: '第一条' }), { token: firstToken }))).toBe(first);
      expect(await limited.container.models.AdviceItem.countDocuments()).toBe(3);
    } finally {
      await limited.close();
    }
  });
});

describe('satisfaction', () => {
  async function caseWithReply() {
    const agent = newAgent(t.app);
    const code = codeFrom(await sendAdvice(agent, validAdvice()));
    const item = (await t.container.models.AdviceItem.findOne().lean())!;
    return { agent, code, id: item._id };
  }

  it('is asked only once the bureau replied, and counts once per case, even when posted in parallel', async () => {
    const { agent, code, id } = await caseWithReply();
    const before = expectStatus(await agent.get(`/track/${code}`), 200);
    expect(before.text).not.toContain('name="rating"');
    expectStatus(await agent.post(`/track/${code}/rate`).type('form').send({ rating: 'satisfied' }), 409);
    await t.container.adviceCases.reply(bureau, id, '已增派警力在上学时段疏导交通。', staffActor);
    const after = expectStatus(await agent.get(`/track/${code}`), 200);
    expect(after.text).toContain('已增派警力在上学时段疏导交通。');
    expect(after.text).toContain('基本满意');
    expect(after.text).toContain('name="rating"');
    expectStatus(await agent.post(`/track/${code}/rate`).type('form').send({ rating: 'great' }), 422);
    const posts = await Promise.all(['satisfied', 'dissatisfied', 'basically-satisfied', 'satisfied', 'dissatisfied'].map((rating) => agent.post(`/track/${code}/rate`).type('form').send({ rating, comment: '谢谢' })));
    expect(posts.map((r) => r.status).sort()).toEqual([303, 409, 409, 409, 409]);
    const votes = await t.container.models.SatisfactionVote.find().lean();
    expect(votes).toHaveLength(1);
    expect(votes[0]).toMatchObject({ _id: `advice:${id}`, source: 'advice', comment: '谢谢', bureau: bureau._id });
    expect(votes[0]!.month).toMatch(/^\d{4}-\d{2}$/);
    const done = expectStatus(await agent.get(`/track/${code}`), 200);
    expect(done.text).not.toContain('name="rating"');
  });
});

describe('moderation', () => {
  it('shows nothing publicly until staff approve it, and never a text whose author did not allow it', async () => {
    const agent = newAgent(t.app);
    codeFrom(await sendAdvice(agent, validAdvice({ text: '希望公开的建议ABC' })));
    codeFrom(await sendAdvice(agent, validAdvice({ text: '不愿公开的投诉XYZ', publish: 'no' })));
    const items = await t.container.models.AdviceItem.find().lean();
    const allowed = items.find((i) => i.publishConsent)!;
    const private_ = items.find((i) => !i.publishConsent)!;
    const page = async () => (await agent.get('/b/test-bureau/advice')).text;
    expect(await page()).not.toContain('希望公开的建议ABC');
    await expect(t.container.adviceCases.moderate(bureau, private_._id, true, staffActor)).rejects.toMatchObject({ status: 409 });
    await t.container.adviceCases.moderate(bureau, allowed._id, true, staffActor);
    expect(await page()).toContain('希望公开的建议ABC');
    expect(await page()).not.toContain('不愿公开的投诉XYZ');
    expect((await t.container.adviceBox.published(bureau)).map((p) => p.text)).toEqual(['希望公开的建议ABC']);
    await t.container.adviceCases.moderate(bureau, allowed._id, false, staffActor);
    expect(await page()).not.toContain('希望公开的建议ABC');
  });
});

describe('due dates', () => {
  it('count working days (Monday to Friday) from the local day, in the bureau time zone', () => {
    // Friday 2026-12-04 20:00 UTC is Saturday 04:00 in Shanghai: five working days end on Friday 11 December, local.
    const friday = new Date('2026-12-04T20:00:00Z');
    expect(replyDueAt(friday, 5, 'Asia/Shanghai').toISOString()).toBe('2026-12-11T16:00:00.000Z');
    // In New York it is still Friday: Monday to Friday of the next week, the end of Friday 11 December local time.
    expect(replyDueAt(friday, 5, 'America/New_York').toISOString()).toBe('2026-12-12T05:00:00.000Z');
    // In UTC it is Friday too.
    expect(replyDueAt(friday, 5, 'UTC').toISOString()).toBe('2026-12-12T00:00:00.000Z');
    // Monday morning in Shanghai (Sunday evening UTC): 1 working day is Tuesday.
    expect(replyDueAt(new Date('2026-12-06T23:30:00Z'), 1, 'Asia/Shanghai').toISOString()).toBe('2026-12-08T16:00:00.000Z');
    // Across a daylight-saving change (New York, 2027-03-14): the end of the local day, not 24-hour steps.
    expect(replyDueAt(new Date('2027-03-12T15:00:00Z'), 1, 'America/New_York').toISOString()).toBe('2027-03-16T04:00:00.000Z');
  });

  it("are stored from the bureau's deadline and time zone when advice arrives", async () => {
    const form = { bureau, csrfCookie: undefined, clientAddress: '127.0.0.1', locale: 'zh-CN' as const };
    const token = t.container.tokens.issue(`advice:${String(bureau._id)}`, 'c'.repeat(22), undefined, Date.parse('2026-12-04T19:00:00Z'));
    const outcome = await t.container.adviceBox.submit({ ...form, csrfCookie: 'c'.repeat(22), body: { _form: token, ...validAdvice() }, now: new Date('2026-12-04T20:00:00Z') });
    expect(outcome.kind).toBe('accepted');
    const item = await t.container.models.AdviceItem.findOne().lean();
    expect(item!.dueAt.toISOString()).toBe('2026-12-11T16:00:00.000Z');
    await createAdviceBureau(t.container, 'ny-bureau', 'America/New_York');
    const ny = (await t.container.models.Bureau.findOne({ slug: 'ny-bureau' }).lean<Bureau>())!;
    const nyToken = t.container.tokens.issue(`advice:${String(ny._id)}`, 'c'.repeat(22), undefined, Date.parse('2026-12-04T19:00:00Z'));
    await t.container.adviceBox.submit({ ...form, bureau: ny, csrfCookie: 'c'.repeat(22), body: { _form: nyToken, ...validAdvice() }, now: new Date('2026-12-04T20:00:00Z') });
    const nyItem = await t.container.models.AdviceItem.findOne({ bureau: ny._id }).lean();
    expect(nyItem!.dueAt.toISOString()).toBe('2026-12-12T05:00:00.000Z');
  });
});
