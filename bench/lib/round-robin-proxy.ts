/**
 * A round-robin TCP proxy in front of several Minyi processes, standing in for a load balancer: each new client
 * connection goes to the next process in the list; the bytes are passed through untouched, so the residents'
 * X-Forwarded-For arrives as they sent it, from 127.0.0.1, the proxy address every Minyi process trusts
 * (MINYI_TRUST_PROXY=loopback). A connection a process refuses (it is down) is tried on the next one, as
 * nginx's default `proxy_next_upstream error` does; connections already open to a process that dies are cut.
 */
import net from 'node:net';

export interface RoundRobinProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Replaces the processes new connections go to (ports on 127.0.0.1); open connections stay where they are. */
  setBackends(ports: readonly number[]): void;
  /** Connections sent to each port since the last reset. */
  connectionsByPort(): Map<number, number>;
  /** Connections a refusing process passed on to the next one. */
  failovers(): number;
  resetCounts(): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(initialPorts: readonly number[]): Promise<RoundRobinProxy> {
  let ports = [...initialPorts];
  let next = 0;
  let failovers = 0;
  const counts = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Errors end in 'close', which tears the pair down; without a listener they would crash the script.
    socket.on('error', () => {});
  };

  const server = net.createServer((client) => {
    track(client);
    // Nothing is read until a process has accepted the connection, so a refused attempt loses no bytes.
    client.pause();
    const candidates = ports.length;
    const attempt = (tries: number) => {
      if (tries >= candidates || client.destroyed) return void client.destroy();
      const port = ports[next++ % ports.length]!;
      const upstream = net.connect({ host: '127.0.0.1', port });
      track(upstream);
      let connected = false;
      upstream.once('error', () => {
        if (connected) return;
        failovers += 1;
        attempt(tries + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        counts.set(port, (counts.get(port) ?? 0) + 1);
        client.pipe(upstream);
        upstream.pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setBackends(newPorts) {
      ports = [...newPorts];
    },
    connectionsByPort: () => new Map(counts),
    failovers: () => failovers,
    resetCounts() {
      counts.clear();
      failovers = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
