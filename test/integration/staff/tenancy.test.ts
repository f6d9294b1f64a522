/** Staff of one bureau cannot see, change or even confirm the existence of another bureau's things: every staff route answers 404. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let managerOfA: StaffAgent;
let analystOfB: StaffAgent;
let params: Record<string, string>;

interface RouteEntry {
  method: string;
  path: string;
}

/** Every route of the staff router, read from the app itself, so a new route cannot escape this test. */
function staffRoutes(app: TestApp['app']): RouteEntry[] {
  const stack = (app as unknown as { router: { stack: Array<{ name: string; handle: { stack?: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }> } }).router.stack;
  const staff = stack.find((layer) => layer.name === 'router' && layer.handle.stack?.some((l) => l.route?.path === '/login'));
  return (staff?.handle.stack ?? []).flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((method) => ({ method, path: `/staff${layer.route!.path}` })) : []));
}

beforeAll(async () => {
  t = await createTestApp();
  const a = await createBureauWithSurvey(t.container, { slug: 'bureau-a' });
  const b = await createBureauWithSurvey(t.container, { slug: 'bureau-b', mutate: (d) => { d.slug = 'b-survey'; } });
  await createBureauWithSurvey(t.container, { slug: 'bureau-b', status: 'draft', mutate: (d) => { d.slug = 'b-draft'; } });
  await createStaff(t.container, 'a@test.cn', [{ role: 'manager', bureau: a.bureau._id }]);
  await createStaff(t.container, 'b@test.cn', [{ role: 'analyst', bureau: b.bureau._id }]);
  const bStaff = await t.container.models.User.findOne({ email: 'b@test.cn' }).lean();
  const codes = await t.container.codes.generate(b.survey._id, 1);
  managerOfA = await signedInAgent(t.app, 'a@test.cn');
  analystOfB = await signedInAgent(t.app, 'b@test.cn');
  params = { bureau: 'bureau-b', survey: 'b-survey', batch: codes.batch, user: String(bStaff!._id), role: 'analyst', action: 'close' };
});
afterAll(async () => t?.close());

const fill = (path: string, values: Record<string, string>) => path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? 'x');

describe('tenancy', () => {
  it('covers the staff routes the app has', () => {
    const routes = staffRoutes(t.app).filter((r) => r.path.includes(':bureau'));
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it("answers 404 to every bureau route of another bureau, for each method, and changes nothing", async () => {
    // Everything a manager's form could change: surveys, staff, invitation codes, API tokens, bureaus.
    const { Survey, User, InvitationCode, ApiToken, Bureau } = t.container.models;
    const snapshot = async () =>
      JSON.stringify({
        surveys: await Survey.find({}, { status: 1, revision: 1, title: 1, questions: 1 }).sort({ _id: 1 }).lean(),
        staff: await User.find({}, { email: 1, roles: 1, disabled: 1 }).sort({ _id: 1 }).lean(),
        codes: await InvitationCode.find().sort({ _id: 1 }).lean(),
        tokens: await ApiToken.find().sort({ _id: 1 }).lean(),
        bureaus: await Bureau.find().sort({ _id: 1 }).lean(),
      });
    const before = await snapshot();
    const csrf = await managerOfA.csrf();
    const failures: string[] = [];
    for (const route of staffRoutes(t.app).filter((r) => r.path.includes(':bureau'))) {
      const url = fill(route.path, params);
      const req = route.method === 'get' ? managerOfA.get(url) : managerOfA.post(url).type('form').send({ _csrf: csrf, count: '5', email: 'x@y.cn', name: 'x', role: 'analyst', password: 'a long password here', source: 'blank', slug: 'intruder' });
      const res = await req;
      if (res.status !== 404) failures.push(`${route.method.toUpperCase()} ${url} → ${res.status}`);
      // The answer must not differ from the one for a bureau that does not exist.
      const missing = await (route.method === 'get' ? managerOfA.get(fill(route.path, { ...params, bureau: 'no-such-bureau' })) : managerOfA.post(fill(route.path, { ...params, bureau: 'no-such-bureau' })).type('form').send({ _csrf: csrf }));
      if (missing.status !== res.status) failures.push(`${url}: ${res.status} but ${missing.status} for a bureau that does not exist`);
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
    expect(await t.container.models.Survey.exists({ slug: 'intruder' })).toBeNull();
  });

  it("hides a bureau's drafts from planners and analysts of other bureaus, not from its own staff", async () => {
    await analystOfB.get('/staff/b/bureau-b/surveys/b-draft').expect(200);
    await createStaff(t.container, 'planner@test.cn', [{ role: 'planner', region: 'Zhejiang' }]);
    const planner = await signedInAgent(t.app, 'planner@test.cn');
    await planner.get('/staff/b/bureau-b/surveys/b-survey').expect(200);
    await planner.get('/staff/b/bureau-b/surveys/b-draft').expect(404);
    const list = await planner.get('/staff/b/bureau-b').expect(200);
    expect(list.text).toContain('b-survey');
    expect(list.text).not.toContain('b-draft');
    // The bureau's own staff see the draft on that page: the planner's list leaves it out.
    expect((await analystOfB.get('/staff/b/bureau-b').expect(200)).text).toContain('b-draft');
    await planner.get('/staff/b/bureau-b/staff').expect(404);
  });

  it('keeps analysts out of manager routes of their own bureau', async () => {
    const csrf = await analystOfB.csrf();
    await analystOfB.get('/staff/b/bureau-b/surveys/b-survey/share').expect(404);
    await analystOfB.post('/staff/b/bureau-b/surveys/b-survey/lifecycle/close').type('form').send({ _csrf: csrf }).expect(404);
    expect((await t.container.models.Survey.findOne({ slug: 'b-survey' }).lean())!.status).toBe('open');
  });
});
