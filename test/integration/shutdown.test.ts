/** MinyiServer.stop() under a kept-alive connection: requests in flight finish, the connection closes, new ones are refused. */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logging/logger.js';
import { MinyiServer } from '../../server/minyi-server.js';
import { testTempDir } from '../utils/temp-dir.js';
import { databaseUriFor, testConfig } from '../utils/test-app.js';
import { scaled, withinScaled } from '../utils/time.js';

function get(agent: http.Agent, url: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    }).on('error', reject);
  });
}

describe('stopping Minyi', () => {
  it('answers the requests it has, closes kept-alive connections, then refuses new ones', async () => {
    const config = testConfig({ MONGODB_URI: databaseUriFor(`minyi_test_${randomBytes(6).toString('hex')}`), MINYI_DATA_DIR: testTempDir('minyi-stop-'), PORT: '0', HOST: '127.0.0.1', MINYI_DEMO_DATA: 'false' });
    // A drain timeout far beyond the test's: stop() resolving at all shows it closed the kept-alive connection
    // itself instead of waiting for the timeout to cut it.
    const minyi = new MinyiServer(config, createLogger('silent'), { drainTimeoutMs: scaled(3_600_000) });
    const started = await minyi.start();
    const url = new URL(started.url);
    url.hostname = '127.0.0.1';
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(agent, `${url.origin}/healthz`)).connection).toBe('keep-alive');

    // One request in flight on the kept-alive connection when stopping starts, and one sent right after.
    let answered = false;
    const inFlight = get(agent, `${url.origin}/?lang=en`).finally(() => {
      answered = true;
    });
    // Stop once the server is handling it: a request still in the socket's buffer is not in flight yet.
    while (!answered && minyi.requestsInFlight() === 0) await new Promise((resolve) => setImmediate(resolve));
    const stopping = minyi.stop();
    const next = get(agent, `${url.origin}/healthz`).catch((error: NodeJS.ErrnoException) => String(error.code));
    expect((await inFlight).status).toBe(200);
    const after = await next;
    // Either it rode the kept-alive connection and was told to close it, or it found the server gone.
    expect(typeof after === 'string' ? after : `${after.status} ${after.connection}`).toMatch(/^(ECONNREFUSED|ECONNRESET|200 close)$/);
    await withinScaled(stopping, 30_000, 'stop() with a kept-alive connection open');
    await expect(get(new http.Agent(), `${url.origin}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    agent.destroy();
  });
});
