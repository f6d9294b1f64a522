import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../../bench/lib/round-robin-proxy.js';

const servers: http.Server[] = [];
let proxy: RoundRobinProxy | undefined;

/** A server answering its own name and the X-Forwarded-For it received. */
async function backend(name: string): Promise<number> {
  const server = http.createServer((req, res) => res.end(`${name} ${req.headers['x-forwarded-for'] ?? '-'}`));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const port = await backend('gone');
  const server = servers.pop()!;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One request on a new connection. */
async function ask(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { 'x-forwarded-for': '10.1.2.3' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('round-robin proxy', () => {
  it('sends each new connection to the next process, headers untouched', async () => {
    proxy = await startRoundRobinProxy([await backend('a'), await backend('b'), await backend('c')]);
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await ask(proxy.url));
    expect(answers).toEqual(['a 10.1.2.3', 'b 10.1.2.3', 'c 10.1.2.3', 'a 10.1.2.3', 'b 10.1.2.3', 'c 10.1.2.3']);
  });

  it('passes a refused connection on to the next process', async () => {
    proxy = await startRoundRobinProxy([await backend('a'), await closedPort(), await backend('c')]);
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await ask(proxy.url));
    // The second and fourth connections meet the closed port and go on to c.
    expect(answers).toEqual(['a 10.1.2.3', 'c 10.1.2.3', 'a 10.1.2.3', 'c 10.1.2.3']);
    expect(proxy.failovers()).toBe(2);
  });

  it('takes a new list of processes for new connections', async () => {
    const a = await backend('a');
    proxy = await startRoundRobinProxy([a, await backend('b')]);
    proxy.setBackends([a]);
    expect([await ask(proxy.url), await ask(proxy.url)]).toEqual(['a 10.1.2.3', 'a 10.1.2.3']);
  });
});
