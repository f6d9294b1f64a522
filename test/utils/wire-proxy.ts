/**
 * A TCP proxy in front of a database server that reads the MongoDB wire protocol both ways, so a test can make
 * the server's replies go wrong on command: a reply that cannot be parsed, or a connection whose replies are
 * off by one (each request answered with the reply meant for an earlier one), the fault seen in production.
 * It also counts replies whose `responseTo` is not the request waiting on that connection.
 */
import net from 'node:net';
import mongoose from 'mongoose';
import { listenInFrontOf } from './net.js';

const OP_MSG = 2013;
const HEADER = 16;

export interface WireCommand {
  /** The command's name (its first field): find, insert, aggregate, getMore, hello... */
  name: string;
  /** The collection it names, when its value is a string. */
  collection: string | undefined;
  /** A find's filter. */
  filter?: Record<string, unknown>;
}

export type WireFault =
  /** The reply's body is replaced by bytes that are not BSON. */
  | { kind: 'garble'; when: (command: WireCommand) => boolean }
  /**
   * The request is answered at once with the last reply the proxy saw for another command of that connection's
   * peers (a reply to the wrong query), and the real reply follows later, to be taken by the next request on
   * this connection: from then on, that connection's replies are off by one until it is closed.
   */
  | { kind: 'desync'; when: (command: WireCommand) => boolean; staleFrom: (command: WireCommand) => boolean };

export interface WireProxy {
  uri: string;
  /** Faults to apply, each once, in order. */
  faults: WireFault[];
  /** Faults applied so far. */
  injected: number;
  /** Replies whose responseTo did not name the request waiting on their connection. */
  mismatchedReplies: number;
  /** Requests sent on a connection that still waited for the reply to an earlier one (the driver never pipelines). */
  pipelinedRequests: number;
  /** The filter of every find sent, with its collection. */
  filters: Array<{ collection: string; filter: Record<string, unknown> }>;
  /** The most requests naming each collection that were waiting for their replies at once, across connections. */
  peakInFlight: Map<string, number>;
  /** Connections the client opened through the proxy, and those still open. */
  connectionsOpened: number;
  openConnections(): number;
  /** Connections that carried an injected fault and are still open (a reset pool closes them). */
  faultedConnectionsOpen(): number;
  close(): Promise<void>;
}

/** Splits a byte stream into whole wire messages. */
function framer(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const size = pending.readInt32LE(0);
      if (size < HEADER || pending.length < size) break;
      onMessage(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  };
}

export function commandOf(message: Buffer): WireCommand | undefined {
  if (message.readInt32LE(12) !== OP_MSG) return undefined;
  // flagBits, then section kind 0 and its document.
  if (message[HEADER + 4] !== 0) return undefined;
  const size = message.readInt32LE(HEADER + 5);
  const body = mongoose.mongo.BSON.deserialize(message.subarray(HEADER + 5, HEADER + 5 + size)) as Record<string, unknown>;
  const name = Object.keys(body)[0] ?? '';
  const value = body[name];
  const filter = name === 'find' && typeof body.filter === 'object' && body.filter !== null ? (body.filter as Record<string, unknown>) : undefined;
  return { name, collection: typeof value === 'string' ? value : undefined, ...(filter ? { filter } : {}) };
}

function garbled(reply: Buffer): Buffer {
  const copy = Buffer.from(reply);
  // The message's frame stays whole; the document inside claims to be longer than the message that holds it.
  copy.writeInt32LE(reply.length * 2, HEADER + 5);
  return copy;
}

/** The reply with its responseTo set to the given request id, as a server that mixed up its answers would send it. */
function readdressed(reply: Buffer, requestId: number): Buffer {
  const copy = Buffer.from(reply);
  copy.writeInt32LE(requestId, 8);
  return copy;
}

export async function startWireProxy(serverUri: string): Promise<WireProxy> {
  const target = new URL(serverUri);
  const sockets = new Set<net.Socket>();
  let open = 0;
  const faulted = new Set<net.Socket>();
  /** The latest reply seen for each command and collection, to answer a request with one meant for another. */
  const recentReplies = new Map<string, { command: WireCommand; reply: Buffer; at: number }>();
  let replies = 0;
  const inFlight = new Map<string, number>();
  const track = (command: WireCommand | undefined, change: 1 | -1) => {
    if (!command?.collection) return;
    const now = (inFlight.get(command.collection) ?? 0) + change;
    inFlight.set(command.collection, now);
    if (now > (proxy.peakInFlight.get(command.collection) ?? 0)) proxy.peakInFlight.set(command.collection, now);
  };
  const proxy: WireProxy = {
    uri: '',
    faults: [],
    injected: 0,
    mismatchedReplies: 0,
    pipelinedRequests: 0,
    peakInFlight: new Map(),
    filters: [],
    connectionsOpened: 0,
    openConnections: () => open,
    faultedConnectionsOpen: () => [...faulted].filter((socket) => !socket.destroyed).length,
    close: async () => {},
  };

  const server = net.createServer((client) => {
    proxy.connectionsOpened += 1;
    open += 1;
    client.once('close', () => (open -= 1));
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());

    /** Requests sent upstream and not yet answered, oldest first, with what to do with their reply. */
    const waiting: Array<{ requestId: number; command: WireCommand | undefined; fault?: WireFault }> = [];

    client.on(
      'data',
      framer((message) => {
        const requestId = message.readInt32LE(4);
        let command: WireCommand | undefined;
        try {
          command = commandOf(message);
        } catch {
          command = undefined;
        }
        const next = proxy.faults[0];
        let fault: WireFault | undefined;
        const stale = next?.kind === 'desync' ? [...recentReplies.values()].filter((r) => next.staleFrom(r.command)).sort((a, b) => b.at - a.at)[0] : undefined;
        // A desync needs an earlier reply to answer with; until there is one, the fault waits.
        if (command && next?.when(command) && (next.kind !== 'desync' || stale)) {
          fault = proxy.faults.shift();
          proxy.injected += 1;
          faulted.add(client);
        }
        if (fault?.kind === 'desync' && stale) client.write(readdressed(stale.reply, requestId));
        if (waiting.length > 0 && !fault) proxy.pipelinedRequests += 1;
        waiting.push({ requestId, command, fault });
        track(command, 1);
        if (command?.filter && command.collection) proxy.filters.push({ collection: command.collection, filter: command.filter });
        upstream.write(message);
      }),
    );

    upstream.on(
      'data',
      framer((reply) => {
        const request = waiting.shift();
        track(request?.command, -1);
        if (!request || reply.readInt32LE(8) !== request.requestId) proxy.mismatchedReplies += 1;
        if (request?.command) {
          replies += 1;
          recentReplies.set(`${request.command.name}:${request.command.collection}`, { command: request.command, reply: Buffer.from(reply), at: replies });
        }
        client.write(request?.fault?.kind === 'garble' ? garbled(reply) : reply);
      }),
    );
  });
  Object.assign(proxy, await listenInFrontOf(server, serverUri, sockets));
  return proxy;
}
