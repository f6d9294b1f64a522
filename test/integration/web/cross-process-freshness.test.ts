/**
 * Two Minyi processes (two apps built with createApp, each with its own connection and caches) on one
 * database: what one caches (survey directory, bureaus, rendered pages) follows edits made through the other
 * within 5 s, whether residents kept asking meanwhile or not.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../../server/services/accounts/access.js';
import { createBureauWithSurvey, expectStatus } from '../../utils/resident.js';
import { createTestApp, databaseUriFor, type TestApp } from '../../utils/test-app.js';

const FOLLOW_WITHIN_MS = 5000;
let a: TestApp;
let b: TestApp;
const actor: Principal = { id: '0'.repeat(24), email: 'admin@test.gov.cn', name: 'Admin', roles: [{ role: 'admin', bureau: null, region: null }] };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until FOLLOW_WITHIN_MS after `since`, asking B every `everyMs` meanwhile (0: not at all). */
async function waitFollowing(since: number, everyMs: number, ask: () => Promise<unknown>): Promise<void> {
  while (Date.now() - since < FOLLOW_WITHIN_MS) {
    if (everyMs > 0) await ask();
    await sleep(Math.min(everyMs || FOLLOW_WITHIN_MS, Math.max(0, FOLLOW_WITHIN_MS - (Date.now() - since))));
  }
}

beforeAll(async () => {
  const uri = databaseUriFor(`minyi_test_two_${randomBytes(4).toString('hex')}`);
  a = await createTestApp({}, { databaseUri: uri });
  b = await createTestApp({}, { databaseUri: uri });
}, 60_000);
afterAll(async () => {
  await a?.close().catch(() => {});
  await b?.close().catch(() => {});
});
beforeEach(async () => {
  await a.reset();
  b.container.directory.invalidate();
  b.container.pageCache.clear();
});

describe.each([
  { mode: 'while residents keep asking', everyMs: 300 },
  { mode: 'after a quiet spell', everyMs: 0 },
])('another process sharing the database, $mode', ({ everyMs }) => {
  it('shows a survey closed through the other process as closed within 5 s', async () => {
    const { survey, path } = await createBureauWithSurvey(a.container);
    expect((await expectStatus(await request(b.app).get(path), 200)).text).toContain('name="_form"');
    await a.container.editor.transition(survey, 'close', actor);
    const since = Date.now();
    await waitFollowing(since, everyMs, () => request(b.app).get(path));
    const res = expectStatus(await request(b.app).get(`${path}?lang=en`), 200);
    expect(res.text).not.toContain('name="_form"');
    expect(res.text).toMatch(/closed/i);
  });

  it('shows a new title and a renamed bureau on the survey page within 5 s', async () => {
    const { bureau, survey, path } = await createBureauWithSurvey(a.container);
    expect((await expectStatus(await request(b.app).get(`${path}?lang=en`), 200)).text).toContain('Test City Police');
    await a.container.models.Survey.updateOne({ _id: survey._id }, { $set: { 'title.en': 'A title edited elsewhere' }, $inc: { revision: 1 } });
    await a.container.models.Bureau.updateOne({ _id: bureau._id }, { $set: { 'name.en': 'Renamed City Police' } });
    const since = Date.now();
    await waitFollowing(since, everyMs, () => request(b.app).get(`${path}?lang=en`));
    const page = expectStatus(await request(b.app).get(`${path}?lang=en`), 200).text;
    expect(page).toContain('A title edited elsewhere');
    expect(page).toContain('Renamed City Police');
  });

  it('serves a survey created through the other process within 5 s, though it answered 404 before', async () => {
    await createBureauWithSurvey(a.container);
    const later = '/b/test-bureau/s/made-elsewhere';
    expectStatus(await request(b.app).get(later), 404);
    await createBureauWithSurvey(a.container, { mutate: (d) => (d.slug = 'made-elsewhere') });
    const since = Date.now();
    await waitFollowing(since, everyMs, () => request(b.app).get(later));
    expectStatus(await request(b.app).get(later), 200);
  });
});
