/**
 * What staff and residents enter is escaped wherever it is shown: hostile texts in the survey builder, XSS
 * payloads stored in survey titles and options, bureau names, staff names, token names, residents' free
 * text, searches and filters, then looked for on every staff page (routes read from the router) and every
 * resident page.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { everyTypeDefinition } from '../../fixtures/survey-definitions.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, STAFF_PASSWORD, type StaffAgent } from '../../utils/staff.js';
import { builderFields, roomForPayloads, FUZZ_TEST_TIMEOUT, encodeText, formFields, fuzzParameters, hostileText, probe, SHORT_XSS, staffRoutes, StoreWatch, XSS_PAYLOADS, XSS_POLYGLOT, type Fields, type RouteEntry, type Sent } from '../../utils/hostile.js';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT });

let t: TestApp;
let watch: StoreWatch;
let manager: StaffAgent;
let admin: StaffAgent;
let managerCsrf: string;
let adminCsrf: string;
let params: Record<string, string[]>;
let routes: RouteEntry[];
let builderBase: Fields;

const BUREAU_FORM: Fields = [
  ['slug', 'fuzz-bureau'], ['kind', 'police'], ['name.zh-CN', '测试'], ['name.en', 'Test'], ['region.zh-CN', '浙江省'], ['region.en', 'Zhejiang'], ['city.zh-CN', '湖州'], ['city.en', 'Huzhou'],
  ['districts', 'wuxing|吴兴区|Wuxing'], ['timezone', 'Asia/Shanghai'], ['defaultLocale', 'en'], ['managerEmail', 'boss@test.cn'], ['managerName', 'Boss'], ['managerPassword', STAFF_PASSWORD],
];

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  const { bureau, survey } = await createBureauWithSurvey(t.container, { mutate: roomForPayloads });
  await createBureauWithSurvey(t.container, { status: 'draft', mutate: (d) => { d.slug = 'builder'; } });
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  await createStaff(t.container, 'root@test.cn', [{ role: 'admin' }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
  admin = await signedInAgent(t.app, 'root@test.cn');
  managerCsrf = await manager.csrf();
  adminCsrf = await admin.csrf();
  // Residents' free text and "other" text with XSS payloads, for the dashboard, the text pages and the report.
  for (const payload of XSS_PAYLOADS) {
    expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ advice: payload, victim: 'yes', 'crime-kind': ['theft', 'other'], 'crime-kind.other': payload.slice(0, 200), district: 'other', 'district.other': payload.slice(0, 200) })), 303);
  }
  await t.container.tallyWriter.drain();
  const template = [...t.container.templates.keys()][0]!;
  expectStatus(await manager.post('/staff/b/test-bureau/surveys').type('form').send({ _csrf: managerCsrf, source: 'template', template }), 303);
  const codes = await t.container.codes.generate(survey._id, 2);
  const managerUser = await t.container.models.User.findOne({ email: 'manager@test.cn' }).lean();
  const token = await t.container.apiTokens.create(bureau._id, 'fuzz', 'fuzz@test');
  params = { bureau: ['test-bureau'], survey: ['every-type'], question: ['advice'], file: ['responses.csv'], batch: [codes.batch], user: [String(managerUser!._id)], role: ['analyst'], token: [token.id], action: ['open'], template: [template] };
  routes = staffRoutes(t.app);
  builderBase = await builderFields(manager, 'builder');
  watch = new StoreWatch(t.container.models);
  await watch.reset();
});
afterAll(async () => {
  await t?.container.tallyWriter.drain();
  await t?.close();
});

const fill = (path: string, values: Record<string, string>) => path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? params[name]?.[0] ?? 'x');
const agentFor = (path: string) => (path.startsWith('/staff/admin') ? admin : manager);
const form = (fields: Fields) => fields.map(([n, v]) => `${encodeText(n)}=${encodeText(v)}`).join('&');

async function send(agent: ReturnType<typeof request.agent> | null, method: 'get' | 'post', url: string, body?: string) {
  const sent: Sent = { method, url, ...(body !== undefined ? { body } : {}) };
  return probe(watch, sent, () => {
    const req = (agent ?? request(t.app))[method](url);
    return body !== undefined ? req.type('form').send(body) : req;
  });
}

describe('what staff and residents enter is escaped wherever it is shown', () => {
  it('the survey builder: hostile titles, labels, ids and actions, re-rendered or saved', async () => {
    const builderUrl = '/staff/b/test-bureau/surveys/builder';
    const textFields = builderBase.map(([name]) => name).filter((name) => /(title|label|help|description|thankYou|lowLabel|highLabel|options)\.(zh-CN|en)$|\.id$|^slug$|showIf\.anyOf$|optionState$|idBefore$/.test(name));
    const actions = ['save', 'save', 'add-question', 'remove-question:0', 'move-down:0', 'move-up:1', 'add-option:0', 'remove-option:0:0', 'import', 'remove-question:__proto__', 'add-option:constructor', 'move-up:-1', 'add-question:rating', 'add-question:__proto__', 'move:0:2', 'move:1:__proto__', 'condition:1', 'discard'];
    const arb = fc.record({
      replace: fc.array(fc.tuple(fc.constantFrom(...textFields), hostileText), { minLength: 1, maxLength: 5 }),
      action: fc.oneof(fc.constantFrom(...actions), hostileText),
      newType: fc.oneof(fc.constantFrom('single', 'text', 'rating', '__proto__', 'constructor'), hostileText),
      definitionJson: fc.oneof(
        fc.constantFrom('{"slug":"x","__proto__":{"admin":true}}', '{"$where":"1","slug":{"$gt":""}}', `${'['.repeat(3000)}${']'.repeat(3000)}`, '{"a":', JSON.stringify({ ...everyTypeDefinition(), slug: 'builder', title: { 'zh-CN': XSS_POLYGLOT, en: SHORT_XSS[0] } })),
        fc.json(),
      ),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ replace, action, newType, definitionJson }) => {
        const fields = new Map(builderBase);
        for (const [name, text] of replace) fields.set(name, text);
        fields.set('action', action);
        fields.set('newType', newType);
        fields.set('definitionJson', definitionJson);
        const res = await send(manager, 'post', `${builderUrl}/edit`, form([['_csrf', managerCsrf], ...fields]));
        expect([200, 303, 404, 409, 422], `status ${res.status}`).toContain(res.status);
        // A save may have renamed the survey.
        // A save may have renamed the survey; every other button comes back to the builder.
        const at = res.status === 303 ? new URL(res.headers.location!, 'http://x').pathname.replace(/\/edit$/, '') : builderUrl;
        for (const page of ['', '/edit', '/preview?preview=en']) await send(manager, 'get', `${at}${page}`);
        if (res.status === 303) {
          await send(manager, 'get', '/staff/b/test-bureau');
          // Put the survey back the way it was, so the next run starts from a valid form.
          expect((await send(manager, 'post', `${at}/edit`, form([['_csrf', managerCsrf], ...builderBase, ['action', 'save']]))).status).toBe(303);
        }
      }),
      fuzzParameters(12),
    );
  });

  it('XSS in survey titles and options, bureau names, staff and token names, searches and filters is escaped on every page', async () => {
    // A survey imported with XSS in every text, then opened so residents see it too.
    const imported = everyTypeDefinition();
    imported.slug = 'xss-import';
    imported.title = { 'zh-CN': XSS_POLYGLOT, en: SHORT_XSS[0]! };
    imported.description = { 'zh-CN': SHORT_XSS[3]!, en: SHORT_XSS[4]! };
    imported.settings.thankYou = { 'zh-CN': SHORT_XSS[1]!, en: SHORT_XSS[2]! };
    imported.questions.forEach((q, i) => {
      q.title = { 'zh-CN': SHORT_XSS[i % SHORT_XSS.length]!, en: XSS_POLYGLOT };
      if ('options' in q) q.options.forEach((o, j) => { o.label = { 'zh-CN': SHORT_XSS[(i + j) % SHORT_XSS.length]!, en: `${SHORT_XSS[j % SHORT_XSS.length]} ${j}` }; });
      if (q.type === 'rating') {
        q.lowLabel = { 'zh-CN': SHORT_XSS[0]!, en: SHORT_XSS[1]! };
        q.highLabel = { 'zh-CN': SHORT_XSS[2]!, en: SHORT_XSS[3]! };
      }
    });
    expectStatus(await send(manager, 'post', '/staff/b/test-bureau/surveys', form([['_csrf', managerCsrf], ['source', 'import'], ['definitionJson', JSON.stringify(imported)]])), 303);
    expectStatus(await send(manager, 'post', '/staff/b/test-bureau/surveys/xss-import/lifecycle/open', form([['_csrf', managerCsrf]])), 303);
    // Wording of a survey with answers can still be fixed: XSS in the live survey's title.
    const live = await manager.get('/staff/b/test-bureau/surveys/every-type/edit').expect(200);
    const liveFields = formFields(live.text, '/staff/b/test-bureau/surveys/every-type/edit').filter(([n]) => n !== '_csrf').map(([n, v]): [string, string] => [n, n === 'title.en' ? SHORT_XSS[0]! : n === 'title.zh-CN' ? SHORT_XSS[1]! : v]);
    expectStatus(await send(manager, 'post', '/staff/b/test-bureau/surveys/every-type/edit', form([['_csrf', managerCsrf], ...liveFields, ['action', 'save']])), 303);
    // A bureau named with XSS, with an open survey residents can reach.
    const bureauForm = BUREAU_FORM.map(([n, v]): [string, string] => [n, n === 'slug' ? 'xss-bureau' : n === 'name.en' ? SHORT_XSS[0]! : n === 'name.zh-CN' ? SHORT_XSS[2]! : n === 'city.en' ? SHORT_XSS[1]! : n === 'districts' ? `wuxing|${SHORT_XSS[3]}|${SHORT_XSS[4]}` : n === 'managerName' ? SHORT_XSS[4]! : v]);
    expectStatus(await send(admin, 'post', '/staff/admin/bureaus', form([['_csrf', adminCsrf], ...bureauForm])), 303);
    const xssBureau = await t.container.models.Bureau.findOne({ slug: 'xss-bureau' }).lean();
    await t.container.surveys.createFromDefinition(xssBureau!._id, t.container.definitionValidator.validate(everyTypeDefinition()), { status: 'open', opensAt: null, closesAt: null });
    t.container.directory.invalidate();
    await watch.reset();
    // Refused forms echo what was typed: payloads in every field of the bureau, planner, staff, survey, code and schedule forms.
    for (const payload of [XSS_POLYGLOT, ...SHORT_XSS.slice(0, 3)]) {
      await send(admin, 'post', '/staff/admin/bureaus', form([['_csrf', adminCsrf], ...BUREAU_FORM.map(([n]): [string, string] => [n, payload])]));
      await send(admin, 'post', '/staff/admin/planners', form([['_csrf', adminCsrf], ['scope', payload], ['email', payload], ['name', payload], ['password', payload]]));
      await send(manager, 'post', '/staff/b/test-bureau/staff', form([['_csrf', managerCsrf], ['email', payload], ['name', payload], ['role', 'analyst'], ['password', payload]]));
      await send(manager, 'post', '/staff/b/test-bureau/surveys', form([['_csrf', managerCsrf], ['source', 'import'], ['definitionJson', payload], ['slug', payload]]));
      await send(manager, 'post', '/staff/b/test-bureau/surveys', form([['_csrf', managerCsrf], ['source', 'blank'], ['slug', payload]]));
      await send(manager, 'post', '/staff/b/test-bureau/surveys/every-type/codes', form([['_csrf', managerCsrf], ['count', payload], ['expires', payload]]));
    }
    // Staff and token names that are stored.
    for (const [i, payload] of SHORT_XSS.entries()) {
      // Each new account costs a password hash: a tag and an attribute breakout are enough.
      if (i === 0 || i === 4) expectStatus(await send(manager, 'post', '/staff/b/test-bureau/staff', form([['_csrf', managerCsrf], ['email', `xss${i}@test.cn`], ['name', payload], ['role', 'analyst'], ['password', STAFF_PASSWORD]])), 303);
      expectStatus(await send(manager, 'post', '/staff/b/test-bureau/tokens', form([['_csrf', managerCsrf], ['name', payload]])), 200);
    }

    // Every staff GET route, for the live and the imported survey, with the payloads as searches and filters.
    const search = `search=${encodeText(SHORT_XSS[0]!)}&answer=${encodeText(`victim:${SHORT_XSS[1]}`)}&rows=victim&cols=district`;
    const pages = new Set<string>();
    // The imported survey carries XSS in both languages; the live one carries the residents' XSS answers.
    for (const route of routes.filter((r) => r.method === 'get')) {
      pages.add(`${fill(route.path, { survey: 'xss-import' })}?lang=en&${search}`);
      pages.add(`${fill(route.path, { survey: 'xss-import' })}?lang=zh-CN`);
      if (/results|report/.test(route.path)) pages.add(`${fill(route.path, { survey: 'every-type' })}?lang=zh-CN&${search}`);
    }
    for (const url of ['/staff/b/xss-bureau', '/staff/admin/bureaus', '/staff/admin/audit', '/staff/b/test-bureau/audit', '/staff', '/staff/b/test-bureau/staff', '/staff/b/test-bureau/tokens']) pages.add(`${url}?lang=en`);
    for (const url of pages) await send(url.startsWith('/staff/admin') || url.startsWith('/staff/b/xss-bureau') ? admin : agentFor(url), 'get', url);
    // And every resident page that shows a bureau name or a survey text.
    for (const url of ['/', '/b/test-bureau', '/b/xss-bureau', '/b/xss-bureau/s/every-type', '/b/test-bureau/s/every-type', '/b/test-bureau/s/every-type/results', '/b/test-bureau/s/xss-import', '/b/test-bureau/s/xss-import/results', '/embed/b/test-bureau/s/xss-import', '/embed/b/xss-bureau/s/every-type']) {
      for (const lang of /xss/.test(url) ? ['en', 'zh-CN'] : ['zh-CN']) await send(null, 'get', `${url}?lang=${lang}`);
    }
    // The thank-you page shows the survey's own thank-you text.
    for (const lang of ['en', 'zh-CN']) {
      const agent = newAgent(t.app);
      const voted = expectStatus(await vote(agent, `/b/test-bureau/s/xss-import?lang=${lang}`, validFields()), 303);
      await send(agent, 'get', voted.headers.location!);
    }
  });
});
