/**
 * Attacks on the sign-in: parallel guessing (the check and the count are one atomic step, so a burst gets no
 * more tries than the limit), locking the owner out (a known-device cookie keeps its own budget), and
 * sessions stored for strangers (none is, before sign-in).
 */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createStaff, STAFF_PASSWORD } from '../../utils/staff.js';

let t: TestApp;
beforeAll(async () => {
  // Requests carry X-Forwarded-For so that the attacker and the owner come from different addresses.
  t = await createTestApp({ MINYI_TRUST_PROXY: 'true' });
});
beforeEach(async () => {
  await t.reset();
  await t.container.database.connection.collection('sessions').deleteMany({});
  await createStaff(t.container, 'admin@test.cn', [{ role: 'admin' }]);
});
afterAll(async () => t?.close());

const cookiesOf = (res: { headers: Record<string, unknown> }) => ((res.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!);

/** A sign-in form's token and the cookie it goes with, as a fresh browser at address ip gets them. */
async function loginForm(ip: string, cookies: string[] = []): Promise<{ csrf: string; cookie: string }> {
  const page = await request(t.app).get('/staff/login').set('X-Forwarded-For', ip).set('Cookie', cookies.join('; ')).expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  return { csrf, cookie: [...cookies, ...cookiesOf(page)].join('; ') };
}

function attempt(ip: string, form: { csrf: string; cookie: string }, password: string, email = 'admin@test.cn') {
  return request(t.app).post('/staff/login').set('X-Forwarded-For', ip).set('Cookie', form.cookie).type('form').send({ _csrf: form.csrf, email, password });
}

describe('sign-in throttling under attack', () => {
  it('answers 40 parallel wrong passwords with at most 5 401s and 429s with Retry-After for the rest', async () => {
    const form = await loginForm('198.51.100.7');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt('198.51.100.7', form, `wrong password ${i}`)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    for (const r of answers.filter((a) => a.status === 429)) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // Throttling is audited, once per budget and window, not once per refused request.
    const throttled = await t.container.models.AuditEntry.find({ action: 'login.throttled' }).lean();
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(throttled.length).toBeLessThanOrEqual(2);
    expect(throttled[0]!.actorEmail).toBe('admin@test.cn');
  });

  it('spreads over many addresses, 40 parallel guesses still get at most 5 tries at one account', async () => {
    const forms = await Promise.all(Array.from({ length: 40 }, (_, i) => loginForm(`203.0.113.${i + 1}`)));
    const answers = await Promise.all(forms.map((form, i) => attempt(`203.0.113.${i + 1}`, form, `guess ${i} guess`)));
    expect(answers.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(35);
  });

  it('lets the owner sign in from a known device while the account is locked for everyone else', async () => {
    // The owner signed in on this browser last week: it holds a known-device cookie.
    const ownerForm = await loginForm('192.0.2.10');
    const first = await attempt('192.0.2.10', ownerForm, STAFF_PASSWORD).expect(303);
    const device = cookiesOf(first).find((c) => c.startsWith('minyi_device='));
    expect(device).toBeDefined();

    // The attack: wrong passwords from many addresses until the account's budget is spent.
    const forms = await Promise.all(Array.from({ length: 20 }, (_, i) => loginForm(`203.0.113.${i + 1}`)));
    await Promise.all(forms.map((form, i) => attempt(`203.0.113.${i + 1}`, form, `guess ${i} guess`)));
    const stranger = await loginForm('192.0.2.99');
    await attempt('192.0.2.99', stranger, STAFF_PASSWORD).expect(429);
    // A device cookie for another account, or a forged one, does not help.
    const forged = await loginForm('192.0.2.98', [`${device!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}`]);
    await attempt('192.0.2.98', forged, STAFF_PASSWORD).expect(429);

    const owner = await loginForm('192.0.2.10', [device!]);
    await attempt('192.0.2.10', owner, STAFF_PASSWORD).expect(303);
    expect(await t.container.models.AuditEntry.countDocuments({ action: 'login.throttled', 'details.scope': 'account' })).toBe(1);
  });

  it('gives a device its own budget: wrong passwords from it are still limited', async () => {
    const first = await attempt('192.0.2.10', await loginForm('192.0.2.10'), STAFF_PASSWORD).expect(303);
    const device = cookiesOf(first).find((c) => c.startsWith('minyi_device='))!;
    const form = await loginForm('192.0.2.10', [device]);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt('192.0.2.10', form, `wrong ${i} wrong`)));
    expect(answers.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(7);
  });

  it('stores no session for 1,000 anonymous GETs of the sign-in page, and the stateless form token still works', async () => {
    const sessions = t.container.database.connection.collection('sessions');
    for (let round = 0; round < 20; round += 1) {
      await Promise.all(Array.from({ length: 50 }, () => request(t.app).get('/staff/login').expect(200)));
    }
    await Promise.all(Array.from({ length: 20 }, () => request(t.app).get('/staff/b/x/surveys').expect(303)));
    expect(await sessions.countDocuments({})).toBe(0);
    // The token of one browser's cookie is refused with another's.
    const a = await loginForm('192.0.2.1');
    const b = await loginForm('192.0.2.1');
    await attempt('192.0.2.1', { csrf: a.csrf, cookie: b.cookie }, STAFF_PASSWORD).expect(403);
    await attempt('192.0.2.1', a, STAFF_PASSWORD).expect(303);
    expect(await sessions.countDocuments({})).toBe(1);
  });
});
