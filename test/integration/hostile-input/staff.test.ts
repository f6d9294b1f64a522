/**
 * Hostile input against every staff route, read from the router as tenancy.test.ts does: hostile query
 * strings and results filters on each GET, hostile form bodies (with a valid CSRF token) on each POST,
 * hostile path parameters, bodies no form sends, and sign-in and sign-out. staff-stored.test.ts stores XSS.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, STAFF_PASSWORD, type StaffAgent } from '../../utils/staff.js';
import {
  FUZZ_TEST_TIMEOUT,
  FILTER_PAYLOADS,
  filterValue,
  formFields,
  hostileFilters,
  fuzzParameters,
  hostileForm,
  hostileHeaders,
  hostileQuery,
  hostileSegment,
  probe,
  staffRoutes,
  StoreWatch,
  type RouteEntry,
  statusTally,
  XSS_PAYLOADS,
  type Fields,
  type Sent,
  builderFields,
  roomForPayloads,
} from '../../utils/hostile.js';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT });

let t: TestApp;
let watch: StoreWatch;
let manager: StaffAgent;
let admin: StaffAgent;
let managerCsrf: string;
let adminCsrf: string;
let params: Record<string, string[]>;
let routes: RouteEntry[];
let sandboxBase: Fields;

const QUESTION_IDS = ['concerns', 'district', 'safety', 'victim', 'crime-kind', 'patrols', 'advice'];
const QUERY_NAMES = ['lang', 'next', 'done', 'page', 'search', 'from', 'to', 'district', 'channel', 'answer', 'rows', 'cols', 'status', 'category', 'overdue', 'q'];
const LIFECYCLE = ['open', 'close', 'reopen', 'archive', 'unschedule', 'schedule'];

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  const { bureau } = await createBureauWithSurvey(t.container, { mutate: roomForPayloads });
  for (const slug of ['sandbox', 'doomed']) await createBureauWithSurvey(t.container, { status: 'draft', mutate: (d) => { d.slug = slug; } });
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: bureau._id }]);
  await createStaff(t.container, 'root@test.cn', [{ role: 'admin' }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
  admin = await signedInAgent(t.app, 'root@test.cn');
  managerCsrf = await manager.csrf();
  adminCsrf = await admin.csrf();

  // Residents' free text and "other" text with XSS payloads, for the dashboard, text pages and exports.
  for (const payload of XSS_PAYLOADS.slice(0, 4)) {
    expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ advice: payload, victim: 'yes', 'crime-kind': ['theft', 'other'], 'crime-kind.other': payload.slice(0, 200) })), 303);
  }
  await t.container.tallyWriter.drain();

  const template = [...t.container.templates.keys()][0]!;
  expectStatus(await manager.post('/staff/b/test-bureau/surveys').type('form').send({ _csrf: managerCsrf, source: 'template', template }), 303);
  const codes = await t.container.codes.generate((await t.container.models.Survey.findOne({ slug: 'every-type' }).lean())!._id, 2);
  const analyst = await t.container.models.User.findOne({ email: 'analyst@test.cn' }).lean();
  const managerUser = await t.container.models.User.findOne({ email: 'manager@test.cn' }).lean();
  const token = await t.container.apiTokens.create(bureau._id, 'fuzz', 'fuzz@test');
  // An advice case to work on (the advice routes' :case).
  await t.container.models.Bureau.updateOne({ _id: bureau._id }, { $set: { adviceCategories: [{ id: 'traffic', name: { 'zh-CN': '交通', en: 'Traffic' } }] } });
  t.container.directory.invalidate();
  const adviceCase = '0123456789abcdef0123';
  await t.container.models.AdviceItem.create({ _id: adviceCase, bureau: bureau._id, trackingHash: 'fuzz', category: 'traffic', district: null, text: XSS_PAYLOADS[0]!, locale: 'zh-CN', publishConsent: true, receivedAt: new Date(), dueAt: new Date() });
  params = {
    case: [adviceCase],
    bureau: ['test-bureau'],
    survey: ['every-type', 'sandbox'],
    question: ['advice', 'victim'],
    file: ['responses.csv', 'responses.json', 'results.csv', 'results.json'],
    batch: [codes.batch],
    user: [String(analyst!._id), String(managerUser!._id)],
    role: ['analyst', 'manager'],
    token: [token.id],
    action: LIFECYCLE,
    template: [template],
    concern: ['ebike-theft', 'noise'],
    actionId: [String((await t.container.accountability.create(bureau._id, { titleZh: '巡逻', titleEn: '', bodyZh: '夜间巡逻', bodyEn: '', status: 'done', startedOn: '2026-11-01', endedOn: '', evidence: 'concern:ebike-theft' }, 'fuzz@test'))._id)],
  };
  routes = staffRoutes(t.app);
  sandboxBase = await builderFields(manager, 'sandbox');
  watch = new StoreWatch(t.container.models);
  await watch.reset();
});
afterAll(async () => {
  if (process.env.FUZZ_STATS) console.log([...statusTally.entries()].sort().map(([k, v]) => `${k}: ${v}`).join('\n'));
  await t?.container.tallyWriter.drain();
  await t?.close();
});

/** The values of a route's parameters: survey changes that cannot be undone happen to surveys kept for them. */
function valuesFor(path: string, name: string): string[] {
  if (name === 'survey' && /\/(lifecycle|schedule|delete|duplicate)\b/.test(path)) return ['doomed'];
  if (name === 'survey' && path.endsWith('/edit')) return ['sandbox'];
  return params[name] ?? ['x'];
}
const fill = (path: string, pick: (name: string, values: string[]) => string) => path.replace(/:(\w+)/g, (_, name: string) => pick(name, valuesFor(path, name)));
const firstValues = (path: string) => fill(path, (_name, values) => values[0]!);
const agentFor = (path: string) => (path.startsWith('/staff/admin') ? admin : manager);
const csrfFor = (path: string) => (path.startsWith('/staff/admin') ? adminCsrf : managerCsrf);

const ACTION_FIELDS: Fields = [['titleZh', '夜间巡逻'], ['titleEn', 'Night patrols'], ['bodyZh', '增加巡逻'], ['bodyEn', 'More patrols'], ['status', 'done'], ['startedOn', '2026-11-01'], ['endedOn', ''], ['evidence', 'concern:ebike-theft']];

/** A valid body for each POST route, to mutate; a route missing here fails the coverage test. */
function postBase(path: string): Fields | undefined {
  const bases: Record<string, Fields> = {
    '/staff/login': [['email', 'manager@test.cn'], ['password', 'not the password'], ['next', '/staff']],
    '/staff/logout': [],
    '/staff/b/:bureau/surveys': [['source', 'blank'], ['slug', 'fuzz-new'], ['template', params.template![0]!], ['definitionJson', '{}']],
    '/staff/b/:bureau/surveys/:survey/edit': [...sandboxBase, ['action', 'save']],
    '/staff/b/:bureau/surveys/:survey/lifecycle/:action': [],
    '/staff/b/:bureau/surveys/:survey/schedule': [['opensAt', '2030-01-01T09:00'], ['closesAt', '2030-02-01T09:00']],
    '/staff/b/:bureau/surveys/:survey/duplicate': [],
    '/staff/b/:bureau/surveys/:survey/delete': [],
    '/staff/b/:bureau/surveys/:survey/codes': [['count', '3'], ['expires', '2099-12-31']],
    '/staff/b/:bureau/surveys/:survey/codes/:batch/revoke': [],
    '/staff/b/:bureau/staff': [['email', 'new@test.cn'], ['name', 'New Person'], ['role', 'analyst'], ['password', STAFF_PASSWORD]],
    '/staff/b/:bureau/staff/:user/revoke/:role': [],
    '/staff/b/:bureau/tokens': [['name', 'fuzz token']],
    '/staff/b/:bureau/tokens/:token/revoke': [],
    '/staff/b/:bureau/advice/settings': [['categories', 'traffic | 交通 | Traffic'], ['replyWorkingDays', '5']],
    '/staff/b/:bureau/advice/satisfaction': [['label', 'fuzz'], ['count', '2']],
    '/staff/b/:bureau/advice/:case/assign': [['assignee', params.user![0]!]],
    '/staff/b/:bureau/advice/:case/status': [['status', 'in-progress']],
    '/staff/b/:bureau/advice/:case/reply': [['reply', '答复']],
    '/staff/b/:bureau/advice/:case/note': [['note', '备注']],
    '/staff/b/:bureau/advice/:case/moderate': [['publicApproved', 'yes']],
    '/staff/admin/bureaus': [
      ['slug', 'fuzz-bureau'], ['kind', 'police'], ['name.zh-CN', '测试'], ['name.en', 'Test'], ['region.zh-CN', '浙江省'], ['region.en', 'Zhejiang'], ['city.zh-CN', '湖州'], ['city.en', 'Huzhou'],
      ['districts', 'wuxing|吴兴区|Wuxing'], ['timezone', 'Asia/Shanghai'], ['defaultLocale', 'en'], ['managerEmail', 'boss@test.cn'], ['managerName', 'Boss'], ['managerPassword', STAFF_PASSWORD],
    ],
    '/staff/b/:bureau/concerns/import': [],
    '/staff/b/:bureau/concerns/new': [['term', '共享单车']],
    '/staff/b/:bureau/concerns/:concern/rename': [['nameZh', '电动车'], ['nameEn', 'E-bikes']],
    '/staff/b/:bureau/concerns/:concern/merge': [['into', 'noise']],
    '/staff/b/:bureau/concerns/:concern/unmerge': [],
    '/staff/b/:bureau/concerns/:concern/pin': [['pinned', '1']],
    '/staff/b/:bureau/actions': ACTION_FIELDS,
    '/staff/b/:bureau/actions/:actionId/edit': ACTION_FIELDS,
    '/staff/b/:bureau/actions/:actionId/delete': [],
    '/staff/admin/planners': [['scope', 'Zhejiang'], ['email', 'planner@test.cn'], ['name', 'Planner'], ['password', STAFF_PASSWORD]],
  };
  return bases[path];
}

async function send(agent: ReturnType<typeof request.agent> | null, method: 'get' | 'post', url: string, body?: string, type = 'application/x-www-form-urlencoded', headers: Record<string, string> = {}) {
  const sent: Sent = { method, url, ...(body !== undefined ? { body } : {}), headers: { ...headers, ...(body !== undefined ? { 'Content-Type': type } : {}) } };
  return probe(watch, sent, () => {
    const req = (agent ?? request(t.app))[method](url).set(headers);
    return body !== undefined ? req.set('Content-Type', type).send(body) : req;
  });
}

describe('staff routes with hostile input', () => {
  it('covers the staff routes the app has, with a valid body for each POST', () => {
    expect(routes.filter((r) => r.method === 'get').length).toBeGreaterThanOrEqual(20);
    expect(routes.filter((r) => r.method === 'post' && !postBase(r.path)).map((r) => r.path)).toEqual([]);
  });

  it('answers hostile query strings on every GET route, signed in or not', async () => {
    for (const route of routes.filter((r) => r.method === 'get')) {
      await fc.assert(
        fc.asyncProperty(fc.func(fc.nat()), hostileQuery(QUERY_NAMES, filterValue(QUESTION_IDS)), hostileHeaders, fc.boolean(), async (choose, query, headers, anonymous) => {
          const url = `${fill(route.path, (name, values) => values[choose(name) % values.length]!)}?${query}`;
          await send(anonymous ? null : agentFor(route.path), 'get', url, undefined, undefined, headers);
        }),
        fuzzParameters(2),
      );
    }
  });

  it('answers hostile results filters on every route that reads them', async () => {
    const filtered = routes.filter((r) => r.method === 'get' && /\/(results|export|report)\b/.test(r.path));
    expect(filtered.length).toBeGreaterThanOrEqual(4);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...filtered), fc.func(fc.nat()), hostileFilters(QUESTION_IDS), async (route, choose, query) => {
        await send(manager, 'get', `${fill(route.path, (name, values) => values[choose(name) % values.length]!)}?${query}`);
      }),
      fuzzParameters(25),
    );
  });

  it('reads hand-picked hostile filters as plain values on every route that reads them', async () => {
    const failures: string[] = [];
    // The dashboard and the streamed export; the text pages and the report read filters the same way (fuzzed above).
    for (const route of routes.filter((r) => r.method === 'get' && /\/(results|export\/:file)$/.test(r.path))) {
      for (const query of FILTER_PAYLOADS) {
        try {
          await send(manager, 'get', `${firstValues(route.path)}?${query}`);
        } catch (error) {
          failures.push((error as Error).message.split('\n').slice(0, 2).join(' | '));
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers hostile path parameters on every route', async () => {
    const withParams = routes.filter((r) => r.path.includes(':'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withParams), fc.func(fc.boolean()), hostileSegment, async (route, hostile, segment) => {
        let replaced = false;
        const url = fill(route.path, (name, values) => (hostile(name) || !replaced ? ((replaced = true), segment) : values[0]!));
        const agent = agentFor(route.path);
        if (route.method === 'get') await send(agent, 'get', url);
        else await send(agent, 'post', url, `_csrf=${encodeURIComponent(csrfFor(route.path))}`);
      }),
      fuzzParameters(30),
    );
  });

  it('answers hostile form bodies with a valid CSRF token on every POST route', async () => {
    for (const route of routes.filter((r) => r.method === 'post' && r.path !== '/staff/logout' && r.path !== '/staff/login')) {
      const base = postBase(route.path)!;
      await fc.assert(
        fc.asyncProperty(fc.func(fc.nat()), hostileForm(base, { names: ['_csrf', 'action', 'source', 'slug', 'name', 'email', 'count', 'scope'] }), async (choose, body) => {
          const url = fill(route.path, (name, values) => values[choose(name) % values.length]!);
          await send(agentFor(route.path), 'post', url, `_csrf=${encodeURIComponent(csrfFor(route.path))}&${body}`);
        }),
        fuzzParameters(route.path.endsWith('/edit') ? 10 : 3),
      );
    }
  });

  it('refuses bodies no staff form sends, oversized ones and ones without a CSRF token, storing nothing', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.method === 'post' && r.path !== '/staff/logout')) {
      const url = firstValues(route.path);
      const csrf = csrfFor(route.path);
      const agent = agentFor(route.path);
      const base = new URLSearchParams(postBase(route.path)!).toString();
      const cases: Array<[string, string, string, Record<string, string>]> = [
        ['JSON with the token in a header', 'application/json', '{"action":"save","$where":"sleep(1)","__proto__":{"admin":true},"slug":{"$gt":""}}', { 'X-CSRF-Token': csrf }],
        ['text with the token in a header', 'text/plain', base, { 'X-CSRF-Token': csrf }],
        ['no body, token in a header', 'application/x-www-form-urlencoded', '', { 'X-CSRF-Token': csrf }],
        ['over 512 kB', 'application/x-www-form-urlencoded', `_csrf=${encodeURIComponent(csrf)}&${base}&name=${'x'.repeat(530 * 1024)}`, {}],
        ['too many fields', 'application/x-www-form-urlencoded', `_csrf=${encodeURIComponent(csrf)}&${Array.from({ length: 5100 }, (_, i) => `f${i}=1`).join('&')}`, {}],
        ['a huge field under the limit', 'application/x-www-form-urlencoded', `_csrf=${encodeURIComponent(csrf)}&${base}&name=${'𠮷'.repeat(30_000)}&title.en=${'x'.repeat(200_000)}`, {}],
        ['deeply nested fields', 'application/x-www-form-urlencoded', `_csrf=${encodeURIComponent(csrf)}&${base}&a${'[b]'.repeat(500)}=1`, {}],
        ['array-valued token', 'application/x-www-form-urlencoded', `_csrf[]=${encodeURIComponent(csrf)}&${base}`, {}],
        ['operator token', 'application/x-www-form-urlencoded', `_csrf[$ne]=x&${base}`, {}],
        ['no token', 'application/x-www-form-urlencoded', base, {}],
      ];
      // The body parser runs before every route alike: most cases go to a few routes only.
      const heavy = ['/staff/login', '/staff/b/:bureau/surveys/:survey/edit'].includes(route.path);
      for (const [name, type, body, headers] of cases.filter(([name]) => heavy || ['JSON with the token in a header', 'no token', 'operator token'].includes(name))) {
        try {
          await send(agent, 'post', url, body, type, headers);
        } catch (error) {
          failures.push(`${name}: ${(error as Error).message.split('\n').slice(0, 3).join(' | ')}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers hostile sign-out forms', async () => {
    // Every run is sent and checked; problems are gathered, so one bad header does not hide the other runs.
    const failures = new Set<string>();
    await fc.assert(
      fc.asyncProperty(hostileForm(postBase('/staff/logout')!, { names: ['_csrf', 'next'] }), async (body) => {
        await t.container.models.RateLimit.deleteMany({});
        const agent = await signedInAgent(t.app, 'analyst@test.cn');
        const csrf = await agent.csrf();
        try {
          const res = await send(agent, 'post', '/staff/logout', `_csrf=${encodeURIComponent(csrf)}&${body}`);
          expect([303, 400, 403, 413], `status ${res.status}`).toContain(res.status);
        } catch (error) {
          failures.add((error as Error).message.split('\n').slice(1).join(' | ').trim());
        }
      }),
      fuzzParameters(3),
    );
    expect([...failures]).toEqual([]);
  });

  it('answers hostile sign-in forms', async () => {
    await fc.assert(
      fc.asyncProperty(hostileForm(postBase('/staff/login')!, { names: ['email', 'password', 'next'] }), hostileQuery(['next', 'lang']), async (body, query) => {
        const agent = newAgent(t.app);
        const page = await send(agent, 'get', `/staff/login?${query}`);
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
        const res = await send(agent, 'post', `/staff/login?${query}`, `_csrf=${encodeURIComponent(csrf)}&${body}`);
        expect([303, 400, 401, 403, 413, 429], `status ${res.status}`).toContain(res.status);
        if (res.status === 303) expect(res.headers.location).toMatch(/^\/staff(\/|$)/);
      }),
      fuzzParameters(5),
    );
  });
});
