import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dumpDatabase } from '../../utils/database-dump.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createStaff, csrfOf, signedInAgent, STAFF_PASSWORD } from '../../utils/staff.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
beforeEach(async () => {
  await t.reset();
  await t.container.database.connection.collection('sessions').deleteMany({});
  await createStaff(t.container, 'admin@test.cn', [{ role: 'admin' }]);
});
afterAll(async () => t?.close());

const sessionCookie = (res: { headers: Record<string, unknown> }) =>
  ((res.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith('minyi_sid='))?.split(';')[0];

describe('staff sign-in', () => {
  it('sends strangers to the sign-in page and back afterwards', async () => {
    const res = await request(t.app).get('/staff/b/anything').expect(303);
    expect(res.headers.location).toBe('/staff/login?next=%2Fstaff%2Fb%2Fanything');
    const agent = request.agent(t.app);
    const csrf = await csrfOf(agent, '/staff/login?next=/staff/b/x');
    const signIn = await agent.post('/staff/login').type('form').send({ _csrf: csrf, email: 'admin@test.cn', password: STAFF_PASSWORD, next: '/staff/b/x' }).expect(303);
    expect(signIn.headers.location).toBe('/staff/b/x');
    const token = await csrfOf(agent, '/staff');
    const offsite = await agent.post('/staff/logout').type('form').send({ _csrf: token });
    expect(offsite.status).toBe(303);
  });

  it('stores no session before sign-in, and rotates the session id at each sign-in, with HttpOnly SameSite=Lax cookies', async () => {
    const agent = request.agent(t.app);
    const page = await agent.get('/staff/login');
    expect(sessionCookie(page)).toBeUndefined();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const first = sessionCookie(await agent.post('/staff/login').type('form').send({ _csrf: csrf, email: 'ADMIN@test.cn ', password: STAFF_PASSWORD }).expect(303));
    expect(first).toBeDefined();
    // Signing in again from a signed-in session (another tab) still gets a new id.
    const token = await csrfOf(agent, '/staff');
    const res = await agent.post('/staff/login').type('form').send({ _csrf: token, email: 'admin@test.cn', password: STAFF_PASSWORD }).expect(303);
    const after = sessionCookie(res);
    expect(after).toBeDefined();
    expect(after).not.toBe(first);
    const raw = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('minyi_sid='))!;
    expect(raw).toContain('HttpOnly');
    expect(raw).toContain('SameSite=Lax');
    expect(raw).not.toContain('Secure');
    // The earlier session id no longer signs anybody in.
    await request(t.app).get('/staff').set('Cookie', first!).expect(303);
    await request(t.app).get('/staff').set('Cookie', after!).expect(200);
  });

  it('refuses a wrong password with 401, and logs the attempt without the password', async () => {
    const agent = request.agent(t.app);
    const csrf = await csrfOf(agent);
    const res = await agent.post('/staff/login').type('form').send({ _csrf: csrf, email: 'admin@test.cn', password: 'wrong password 123' }).expect(401);
    expect(res.text).toContain('电子邮箱或密码不正确');
    const entry = await t.container.models.AuditEntry.findOne({ action: 'login.failed' }).lean();
    expect(entry?.actorEmail).toBe('admin@test.cn');
    // Nowhere in the database: not in the audit entry, the throttle's counters or a session.
    expect(await dumpDatabase(t)).not.toContain('wrong password');
  });

  it('throttles failed sign-ins per account with 429', async () => {
    const agent = request.agent(t.app);
    const csrf = await csrfOf(agent);
    for (let i = 0; i < 5; i += 1) {
      await agent.post('/staff/login').type('form').send({ _csrf: csrf, email: 'admin@test.cn', password: `nope-${i}-nope-nope` }).expect(401);
    }
    const blocked = await agent.post('/staff/login').type('form').send({ _csrf: csrf, email: 'admin@test.cn', password: STAFF_PASSWORD }).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses forms without a valid CSRF token (403)', async () => {
    await request(t.app).post('/staff/login').type('form').send({ email: 'admin@test.cn', password: STAFF_PASSWORD }).expect(403);
    const agent = await signedInAgent(t.app, 'admin@test.cn');
    await agent.post('/staff/logout').type('form').send({ _csrf: 'forged' }).expect(403);
    await agent.get('/staff').expect(200);
  });

  it('ends the session on the server at sign-out: the old cookie is worthless', async () => {
    const agent = await signedInAgent(t.app, 'admin@test.cn');
    const cookie = (await agent.get('/staff')).request.cookies;
    const csrf = await agent.csrf();
    await agent.post('/staff/logout').type('form').send({ _csrf: csrf }).expect(303);
    await request(t.app).get('/staff').set('Cookie', cookie).expect(303);
    expect(await t.container.models.AuditEntry.countDocuments({ action: { $in: ['login', 'logout'] } })).toBe(2);
  });

  it('ends a session past its absolute lifetime even while it is in use', async () => {
    const agent = await signedInAgent(t.app, 'admin@test.cn');
    await agent.get('/staff').expect(200);
    await t.container.database.connection.collection('sessions').updateMany({}, { $set: { 'session.startedAt': Date.now() - 13 * 3600_000 } });
    await agent.get('/staff').expect(303);
  });

  it('ends an idle session', async () => {
    const agent = await signedInAgent(t.app, 'admin@test.cn');
    await agent.get('/staff').expect(200);
    await t.container.database.connection.collection('sessions').updateMany({}, { $set: { expires: new Date(Date.now() - 1000) } });
    await agent.get('/staff').expect(303);
  });

  it('refuses short and common passwords when creating accounts', async () => {
    await expect(t.container.accounts.create({ email: 'a@test.cn', name: 'A', password: 'short', roles: [] })).rejects.toMatchObject({ problems: [{ pointer: '/password', reason: 'too_short' }] });
    await expect(t.container.accounts.create({ email: 'b@test.cn', name: 'B', password: 'password1234', roles: [] })).rejects.toMatchObject({ problems: [{ reason: 'common' }] });
    await expect(t.container.accounts.create({ email: 'c@test.cn', name: 'C', password: 'qwertyuiop', roles: [] })).rejects.toMatchObject({ problems: [{ reason: 'common' }] });
    const stored = await t.container.accounts.create({ email: 'd@test.cn', name: 'D', password: 'a long and unusual phrase', roles: [] });
    const user = await t.container.models.User.findById(stored.id).lean();
    expect(user!.passwordHash).toMatch(/^\$argon2id\$/);
  });
});
