import net from 'node:net';

/** Whether something accepts TCP connections on host:port (e.g. a database that should have stopped). */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A TCP proxy in front of a database server that breaks the connection carrying a chosen command while
 * `armed`: a network failure at an exact moment, on the real wire. `cut: 'request'` breaks it before the
 * server sees the command; `'reply'` lets the server carry it out and loses its answer.
 */
export interface CuttingProxy {
  /** The server's URI with the proxy's address. */
  uri: string;
  armed: boolean;
  cut: 'request' | 'reply';
  /** Connections broken so far. */
  cuts: number;
  close(): Promise<void>;
}

export async function startCuttingProxy(serverUri: string, carriesCommand: (bytes: Buffer) => boolean): Promise<CuttingProxy> {
  const target = new URL(serverUri);
  const sockets = new Set<net.Socket>();
  const proxy: CuttingProxy = { uri: '', armed: false, cut: 'request', cuts: 0, close: async () => {} };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    let replyLost = false;
    client.on('data', (chunk: Buffer) => {
      if (proxy.armed && carriesCommand(chunk)) {
        proxy.cuts += 1;
        if (proxy.cut === 'reply') {
          replyLost = true;
          upstream.write(chunk);
          return;
        }
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!replyLost) {
        client.write(chunk);
        return;
      }
      client.destroy();
      upstream.destroy();
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  Object.assign(proxy, await listenInFrontOf(server, serverUri, sockets));
  return proxy;
}

/** Starts a test proxy on a free loopback port: the server's URI with the proxy's address, and a close that cuts every connection. */
export async function listenInFrontOf(server: net.Server, serverUri: string, sockets: Set<net.Socket>): Promise<{ uri: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(serverUri);
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return { uri: url.toString(), close };
}

/** Whether a chunk of a client's wire messages holds an insert command into the named collection. */
export function isInsertInto(collection: string): (bytes: Buffer) => boolean {
  // An OP_MSG body starts with the command's first field: BSON string type, "insert", then the collection name.
  const command = Buffer.from('\x02insert\x00', 'latin1');
  const name = Buffer.from(`${collection}\x00`, 'latin1');
  return (bytes) => {
    const at = bytes.indexOf(command);
    return at >= 0 && bytes.indexOf(name, at) === at + command.length + 4;
  };
}
