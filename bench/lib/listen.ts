/** Serves a baseline Express app on a free 127.0.0.1 port of this process, beside Minyi. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface ListeningApp {
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Express): Promise<ListeningApp> {
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000; // as Minyi's, so neither side closes autocannon's keep-alive connections
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
