/** Opens the mongoose connection and learns what the server can do (FerretDB or MongoDB, replica set or not). */
import mongoose, { type Connection } from 'mongoose';
import type { WriteConcernSettings } from 'mongodb';

export interface DatabaseCapabilities {
  isFerretdb: boolean;
  isReplicaSet: boolean;
  /** Write concern for writes that record a vote: majority and journaled where the server supports it. */
  voteWriteConcern: WriteConcernSettings | undefined;
  /**
   * Whether a sorted query makes the server hold every matching document in memory. FerretDB 1.24 sorts
   * that way (no sort pushdown); its unsorted cursors come in insertion order, which is _id order here.
   */
  sortsInMemory: boolean;
  /**
   * Whether the server answers queries from secondary indexes. FerretDB 1.24 on SQLite pushes only `_id`
   * equality down to SQL, and even that misses the index it built, so there the other indexes only cost.
   */
  usesSecondaryIndexes: boolean;
}

export interface DatabaseConnection {
  connection: Connection;
  capabilities: DatabaseCapabilities;
  isConnected(): boolean;
  close(): Promise<void>;
}

export async function connectDatabase(uri: string, timeoutMs: number): Promise<DatabaseConnection> {
  const connection = mongoose.createConnection(uri, {
    // Without buffering, a query while the database is down fails at once instead of hanging the request.
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    // A hung server (alive but not answering) is noticed by the monitor: its hello times out after
    // connectTimeoutMS, and the pool then interrupts every operation in flight (PoolClearedOnNetworkError,
    // a 503). Checked every 500 ms (the driver's minimum), a request waits at most the timeout + 0.5 s.
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    heartbeatFrequencyMS: 500,
    // A hung server fails the requests waiting for a connection as soon as the monitor clears the pool. A busy
    // one (a burst of votes each scanning a collection on FerretDB) only makes them queue: that wait is
    // bounded generously, as a last resort, not by the timeout (200 racing votes then got 503s).
    waitQueueTimeoutMS: timeoutMs * 10,
    // An operation interrupted that way would otherwise be tried again, waiting for the server another
    // serverSelectionTimeoutMS: twice the timeout in all. Minyi's writes are idempotent by their keys and
    // its requests are cheap to repeat, so the resident's retry (told by Retry-After) replaces the driver's.
    retryReads: false,
    retryWrites: false,
    // Not the request timeout: on FerretDB, which scans a whole collection for any filter but `_id`, a read of
    // a small survey's responses next to a million others waits minutes for its last batch (the first read of
    // a survey for its answer filters, an export). A hung server is caught by the monitor above instead.
    socketTimeoutMS: 10 * 60_000,
    maxPoolSize: 50,
  });
  await connection.asPromise();
  const capabilities = await detectCapabilities(connection);
  let closed = false;
  return {
    connection,
    capabilities,
    isConnected: () => connection.readyState === mongoose.ConnectionStates.connected,
    async close() {
      if (closed) return;
      closed = true;
      await connection.close();
    },
  };
}

async function detectCapabilities(connection: Connection): Promise<DatabaseCapabilities> {
  const admin = connection.db!.admin();
  const buildInfo = (await admin.command({ buildInfo: 1 })) as Record<string, unknown>;
  const hello = (await admin.command({ hello: 1 })) as Record<string, unknown>;
  const isFerretdb = 'ferretdbVersion' in buildInfo || 'ferretdb' in buildInfo;
  const isReplicaSet = typeof hello.setName === 'string';
  return {
    isFerretdb,
    isReplicaSet,
    voteWriteConcern: isFerretdb ? undefined : { w: isReplicaSet ? 'majority' : 1, journal: true },
    sortsInMemory: isFerretdb,
    usesSecondaryIndexes: !isFerretdb,
  };
}
