import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBureauWithSurvey } from '../../utils/resident.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { withinScaled } from '../../utils/time.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  // Something to list (the demo data would do too, but takes minutes to seed on a busy machine).
  await createBureauWithSurvey(t.container);
  await t.container.database.close();
});
afterAll(async () => t?.close());

describe('when the database is unreachable', () => {
  it('health says so with 503', async () => {
    const res = await request(t.app).get('/healthz').expect(503);
    expect(res.body.database.state).toBe('down');
  });

  it('pages answer 503 with Retry-After, never hang and never leak', async () => {
    const res = await withinScaled(request(t.app).get('/?lang=en'), 20_000, 'a page with the database closed');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).toContain('Briefly unavailable');
    expect(res.text).not.toMatch(/Mongo|at .*\.ts/);
  });
});
