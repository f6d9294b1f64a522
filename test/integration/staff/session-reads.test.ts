/**
 * Every staff page reads its session. By `_id` alone: FerretDB 1.24 filters that inside SQLite, but reads
 * and decodes every stored session for any other filter (connect-mongo's own read adds the expiry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, databaseUriFor, type TestApp } from '../../utils/test-app.js';
import { createStaff, signedInAgent } from '../../utils/staff.js';
import { startWireProxy, type WireProxy } from '../../utils/wire-proxy.js';

let proxy: WireProxy;
let t: TestApp;

beforeAll(async () => {
  proxy = await startWireProxy(databaseUriFor(`minyi_test_sessions_${Date.now()}`));
  t = await createTestApp({}, { databaseUri: proxy.uri });
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
});
