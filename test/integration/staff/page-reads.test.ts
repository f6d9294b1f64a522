/**
 * What a staff page reads from the database, on every request. The session by `_id` alone: FerretDB 1.24
 * filters that inside SQLite, but reads and decodes every stored session for any other filter
 * (connect-mongo's own read adds the expiry). A survey's tally once per dashboard page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, databaseUriFor, type TestApp } from '../../utils/test-app.js';
import { createStaff, signedInAgent } from '../../utils/staff.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { startWireProxy, type WireProxy } from '../../utils/wire-proxy.js';

let proxy: WireProxy;
let t: TestApp;

beforeAll(async () => {
  proxy = await startWireProxy(databaseUriFor(`minyi_test_sessions_${Date.now()}`));
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' }, { databaseUri: proxy.uri });
  await createStaff(t.container, 'admin@test.cn', [{ role: 'admin' }]);
}, 60_000);
afterAll(async () => {
  await t?.close().catch(() => {});
  await proxy?.close();
});

describe('reading a staff session', () => {
  it('names the session by _id alone, and still ends an expired one', async () => {
    const agent = await signedInAgent(t.app, 'admin@test.cn');
    proxy.filters.length = 0;
    await agent.get('/staff').expect(200);
    const reads = proxy.filters.filter((read) => read.collection === 'sessions');
    expect(reads).toHaveLength(1);
    expect(Object.keys(reads[0]!.filter)).toEqual(['_id']);
    // The expiry the filter no longer checks is checked on the session read.
    await t.container.database.connection.collection('sessions').updateMany({}, { $set: { expires: new Date(Date.now() - 1000) } });
    await agent.get('/staff').expect(303);
  });

  it('reads the tally once for a dashboard with an answer filter or a cross-tab', async () => {
    const { bureau, survey, path } = await createBureauWithSurvey(t.container);
    for (let i = 0; i < 3; i += 1) expectStatus(await vote(newAgent(t.app), path, validFields()), 303);
    await t.container.tallyWriter.drain();
    const agent = await signedInAgent(t.app, 'admin@test.cn');
    const base = `/staff/b/${bureau.slug}/surveys/${survey.slug}/results`;
    for (const page of [`${base}?answer=victim:yes`, `${base}?rows=district&cols=crime-kind`]) {
      await agent.get(page).expect(200);
      proxy.filters.length = 0;
      const shown = await agent.get(page).expect(200);
      expect(shown.text).toContain('victim');
      expect(proxy.filters.filter((read) => read.collection === 'tally_deltas')).toHaveLength(1);
    }
  });
});
