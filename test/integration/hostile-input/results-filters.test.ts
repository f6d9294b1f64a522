/**
 * A mistyped or malformed filter is refused with 400 naming the field on every results route, never ignored:
 * ignoring it would show every response as if filtered.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let analyst: StaffAgent;
let token: string;

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
  const { bureau } = await createBureauWithSurvey(t.container, { mutate: (d) => { d.settings.publicResults = 'always'; } });
  expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields()), 303);
  await t.container.tallyWriter.drain();
  ({ token } = await t.container.apiTokens.create(bureau._id, 'filters', 'filters@test'));
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: bureau._id }]);
  analyst = await signedInAgent(t.app, 'analyst@test.cn');
});
afterAll(async () => t?.close());

const staff = '/staff/b/test-bureau/surveys/every-type';
const api = '/api/v1/surveys/test-bureau/every-type';
/** Each route with a query that is valid there, so that only the bad field makes the difference. */
const ROUTES: Array<{ path: string; who: 'staff' | 'token' | 'anyone'; valid: string }> = [
  { path: `${staff}/results`, who: 'staff', valid: 'district=wuxing' },
  { path: `${staff}/report`, who: 'staff', valid: 'district=wuxing' },
  { path: `${staff}/results/text/advice`, who: 'staff', valid: 'district=wuxing&search=x' },
  { path: `${staff}/export/responses.csv`, who: 'staff', valid: 'district=wuxing' },
  { path: `${staff}/export/results.json`, who: 'staff', valid: 'district=wuxing' },
  { path: '/b/test-bureau/s/every-type/results', who: 'anyone', valid: 'district=wuxing' },
  { path: `${api}/results`, who: 'token', valid: 'district=wuxing' },
  { path: `${api}/responses`, who: 'token', valid: 'district=wuxing' },
  { path: `${api}/responses.csv`, who: 'token', valid: 'district=wuxing' },
  { path: `${api}/crosstab`, who: 'token', valid: 'rows=district&cols=victim&district=wuxing' },
];
/** The bad query and the field its message must name. */
const BAD: Array<[string, string]> = [
  ['distrct=wuxing', 'distrct'],
  ['district[$ne]=x', 'district[$ne]'],
  ['district=wuxing&district=nanxun', 'district'],
  ['district=nowhere', 'district'],
  ['channel=fax', 'channel'],
  ['from=2026-13-01', 'from'],
  ['from=2026-11-02&to=2026-11-01', 'to'],
  ['answer=nope:yes', 'answer'],
  ['answer=victim:maybe', 'answer'],
  ['answer=advice:x', 'answer'],
  ['answer[$gt]=', 'answer[$gt]'],
];

const get = (who: 'staff' | 'token' | 'anyone', url: string) =>
  who === 'staff' ? analyst.get(url) : who === 'token' ? request(t.app).get(url).set('Authorization', `Bearer ${token}`) : request(t.app).get(url);

describe('results filters', () => {
  it('accept a valid filter on every route', async () => {
    for (const route of ROUTES) await get(route.who, `${route.path}?${route.valid}`).expect(200);
  });

  it('refuse every unknown or malformed field with 400 naming it, on every route', async () => {
    for (const route of ROUTES) {
      for (const [bad, field] of BAD) {
        const res = await get(route.who, `${route.path}?${route.valid}&${bad}`);
        expect(res.status, `${route.path}?${bad}`).toBe(400);
        const message = route.path.startsWith('/api/') ? String(res.body.error.message) : res.text;
        // The page escapes the quotes; the API sends the message as it is.
        expect(message, `${route.path}?${bad}`).toContain(route.path.startsWith('/api/') ? `"${field}"` : `&quot;${field}&quot;`);
      }
    }
  });

  it('leave the tags messaging apps add to a shared link to the public page', async () => {
    const page = await request(t.app).get('/b/test-bureau/s/every-type/results?from=singlemessage&isappinstalled=0&utm_source=wechat&lang=en').expect(200);
    expect(page.text).not.toContain('Filters:');
    await request(t.app).get('/b/test-bureau/s/every-type/results?from=tomorrow').expect(400);
  });

  it('refuse a cross-tab of an unknown question, of one question with itself, or with a rank count that is not one', async () => {
    for (const query of ['rows=nope&cols=victim', 'rows=victim&cols=victim', 'rows=district&cols=advice', 'rows=district', 'rows=concerns&cols=victim&rank=last']) {
      await request(t.app).get(`${api}/crosstab?${query}`).set('Authorization', `Bearer ${token}`).expect(400);
    }
    await analyst.get(`${staff}/results?rows=district`).expect(400);
  });
});
