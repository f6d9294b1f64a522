import { Ajv2020 } from 'ajv/dist/2020.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../utils/staff.js';

let t: TestApp;
let manager: StaffAgent;
let token: string;
let openapi: Record<string, unknown>;
const ajv = new Ajv2020({ strict: false, allErrors: true });
const validate = (schema: string, data: unknown) => {
  const check = ajv.getSchema(`openapi.json#/components/schemas/${schema}`)!;
  const ok = check(data);
  return ok ? [] : check.errors;
};

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '2' });
  const { survey } = await createBureauWithSurvey(t.container);
  await createBureauWithSurvey(t.container, { status: 'draft', mutate: (d) => { d.slug = 'a-draft'; } });
  await createBureauWithSurvey(t.container, { slug: 'other-bureau', mutate: (d) => { d.slug = 'theirs'; } });
  for (const victim of ['yes', 'no', 'no']) expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ victim, 'crime-kind': victim === 'yes' ? ['theft'] : undefined })), 303);
  await t.container.tallyWriter.drain();
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: survey.bureau }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
  const csrf = await manager.csrf();
  const page = await manager.post('/staff/b/test-bureau/tokens').type('form').send({ _csrf: csrf, name: 'statistics office' }).expect(200);
  token = /<code class="receipt">(minyi_[\w-]+)<\/code>/.exec(page.text)![1]!;
  openapi = (await request(t.app).get('/api/v1/openapi.json').expect(200)).body;
  ajv.addSchema(openapi, 'openapi.json');
});
afterAll(async () => t?.close());

const api = (path: string, bearer = token) => request(t.app).get(`/api/v1${path}`).set('Authorization', `Bearer ${bearer}`);

describe('API v1', () => {
  it('describes itself in an OpenAPI 3.1 document', () => {
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths as object)).toEqual(expect.arrayContaining(['/surveys', '/surveys/{bureau}/{survey}', '/surveys/{bureau}/{survey}/results', '/surveys/{bureau}/{survey}/crosstab', '/surveys/{bureau}/{survey}/responses', '/surveys/{bureau}/{survey}/responses.csv', '/bureaus/{bureau}/advice']));
  });

  it('refuses callers without a token or session, and revoked tokens, with a JSON 401', async () => {
    const anonymous = await request(t.app).get('/api/v1/surveys').expect(401);
    expect(anonymous.headers['www-authenticate']).toContain('Bearer');
    expect(anonymous.body.error.code).toBe('unauthorized');
    expect(validate('Error', anonymous.body)).toEqual([]);
    await api('/surveys', 'minyi_not-a-real-token-not-a-real-token00').expect(401);
  });

  it("lists the token's bureau surveys, drafts included, and none of another bureau", async () => {
    const res = await api('/surveys').expect(200);
    expect(res.body.surveys.map((s: { slug: string }) => s.slug).sort()).toEqual(['a-draft', 'every-type']);
    for (const survey of res.body.surveys) expect(validate('SurveySummary', survey)).toEqual([]);
    await api('/surveys/other-bureau/theirs').expect(404);
    await api('/surveys/other-bureau/theirs/results').expect(404);
  });

  it('gives results with the dashboard filters, matching the schema', async () => {
    const all = await api('/surveys/test-bureau/every-type/results').expect(200);
    expect(validate('Results', all.body)).toEqual([]);
    expect(all.body.total).toBe(3);
    const victim = all.body.questions.find((q: { id: string }) => q.id === 'victim');
    expect(victim.rows).toEqual([{ id: 'yes', count: 1, share: 1 / 3 }, { id: 'no', count: 2, share: 2 / 3 }]);
    const filtered = await api('/surveys/test-bureau/every-type/results?answer=victim:yes').expect(200);
    expect(filtered.body.total).toBe(1);
    expect(filtered.body.smallCellProtected).toBe(true);
    expect(filtered.body.questions.find((q: { id: string }) => q.id === 'victim').rows[0]).toEqual({ id: 'yes', count: 1, share: null });
  });

  it('cross-tabulates two questions with n, base and row share per cell, matching the schema', async () => {
    // Three residents: victim yes (theft), no, no; all with the same district (validFields).
    const res = await api('/surveys/test-bureau/every-type/crosstab?rows=victim&cols=crime-kind').expect(200);
    expect(validate('CrossTab', res.body)).toEqual([]);
    expect(res.body.base).toBe('respondents-in-row');
    expect(res.body.total).toBe(1);
    const yes = res.body.cells.find((row: { row: string }) => row.row === 'yes');
    expect(yes.cells.find((cell: { col: string }) => cell.col === 'theft')).toEqual({ col: 'theft', n: 1, base: 1, rowShare: null, protected: true });
    expect(res.body.cols.counted).toBe('each-option-chosen');
    const district = await api('/surveys/test-bureau/every-type/crosstab?rows=district&cols=victim&channel=web').expect(200);
    const line = district.body.cells.find((row: { base: number }) => row.base > 0);
    expect(line.cells.map((cell: { n: number; rowShare: number | null }) => [cell.n, cell.rowShare])).toEqual([[1, null], [2, 2 / 3]]);
    expect(district.body.chiSquare).toBeNull();
    await api('/surveys/test-bureau/every-type/crosstab?rows=district').expect(400);
    await api('/surveys/other-bureau/theirs/crosstab?rows=district&cols=victim').expect(404);
  });

  it('streams raw responses as JSON and CSV, and audits the export', async () => {
    const json = await api('/surveys/test-bureau/every-type/responses').expect(200);
    expect(json.body).toHaveLength(3);
    for (const response of json.body) expect(validate('Response', response)).toEqual([]);
    const csv = await api('/surveys/test-bureau/every-type/responses.csv').expect(200);
    expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(await t.container.models.AuditEntry.countDocuments({ action: 'export', actorEmail: 'api token' })).toBe(2);
  });

  it('also serves a signed-in staff member, by session', async () => {
    const res = await manager.get('/api/v1/surveys/test-bureau/every-type').expect(200);
    expect(res.body.definition.questions).toHaveLength(7);
    expect(validate('Survey', res.body)).toEqual([]);
  });

  it('answers unknown API routes with JSON 404, and a revoked token with 401', async () => {
    const missing = await api('/nothing').expect(404);
    expect(missing.body.error.code).toBe('not_found');
    const id = (await t.container.models.ApiToken.findOne().lean())!._id;
    const csrf = await manager.csrf();
    await manager.post(`/staff/b/test-bureau/tokens/${id}/revoke`).type('form').send({ _csrf: csrf }).expect(303);
    await api('/surveys').expect(401);
  });
});
