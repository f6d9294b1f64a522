/**
 * Which errors mean "the database is unavailable or answered something we cannot trust", as opposed to a bug
 * or a refused write. Both kinds get a 503 with Retry-After; the second also makes DatabaseHealth reset the
 * connection pool, since the connection that carried the reply may be out of step with the server.
 */
import mongoose from 'mongoose';

const { mongo } = mongoose;

/** Errors the driver raises when it could not reach the server in time, or the server went away. */
const UNAVAILABLE_CLASSES: Array<abstract new (...args: never[]) => Error> = [
  // Also PoolClearedError and PoolClearedOnNetworkError (a monitor timeout interrupting in-flight operations).
  mongo.MongoNetworkError,
  mongo.MongoServerSelectionError,
  mongo.MongoNotConnectedError,
  mongo.MongoTopologyClosedError,
  mongo.MongoServerClosedError,
  mongo.MongoClientClosedError,
  mongo.MongoExpiredSessionError,
  mongo.MongoOperationTimeoutError,
];

/** By name too: an error may come from another copy of the driver (connect-mongo) or be wrapped by mongoose. */
const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'MongoExpiredSessionError',
  'MongoOperationTimeoutError',
  // DatabaseHealth closed the connection to reset the pool after an untrusted reply.
  'PoolResetError',
]);

/** A reply the driver could not make sense of: the connection it came on is not to be trusted any more. */
const UNREADABLE_NAMES = new Set(['MongoUnexpectedServerResponseError', 'MongoParseError', 'BSONError', 'BSONOffsetError', 'MongoDecompressionError', 'UntrustedReadError']);

/** Labels the driver and server put on errors that leave no trace on the server, or call for a new connection. */
const UNAVAILABLE_LABELS = ['ResetPool', 'RetryableWriteError', 'NoWritesPerformed', 'TransientTransactionError', 'SystemOverloadedError'];

/**
 * Server error codes for a server shutting down, stepping down, unreachable or out of time: HostUnreachable,
 * HostNotFound, ExceededTimeLimit, MaxTimeMSExpired, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
 * SocketException, NotWritablePrimary, InterruptedAtShutdown, InterruptedDueToReplStateChange,
 * NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
 */
const UNAVAILABLE_CODES = new Set([6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

const MONGOOSE_UNAVAILABLE = /initial connection|buffering timed out|Connection was force closed|client was closed|not connected|connection .* closed/i;

type ErrorLike = { name?: string; message?: string; code?: unknown; errorLabels?: unknown; cause?: unknown; errorResponse?: unknown; reason?: unknown };

/** The error and what it wraps (cause, a bulk write's reason), a few levels deep. */
function* chain(error: unknown): Generator<ErrorLike> {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const e = current as ErrorLike;
    yield e;
    if (e.errorResponse && typeof e.errorResponse === 'object' && e.errorResponse !== e) yield e.errorResponse as ErrorLike;
    current = e.cause;
  }
}

export function isUnreadableReply(error: unknown): boolean {
  for (const e of chain(error)) if (e.name && UNREADABLE_NAMES.has(e.name)) return true;
  return false;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of chain(error)) {
    if (UNAVAILABLE_CLASSES.some((type) => e instanceof type)) return true;
    if (e.name && UNAVAILABLE_NAMES.has(e.name)) return true;
    if (Array.isArray(e.errorLabels) && e.errorLabels.some((label) => UNAVAILABLE_LABELS.includes(String(label)))) return true;
    if (typeof e.code === 'number' && UNAVAILABLE_CODES.has(e.code) && /^Mongo/.test(e.name ?? '')) return true;
    if ((e.name === 'MongooseError' || e.name === 'MongooseServerSelectionError') && MONGOOSE_UNAVAILABLE.test(e.message ?? '')) return true;
  }
  return false;
}

/** Every error that should reach the client as 503 with Retry-After. */
export function isDatabaseFault(error: unknown): boolean {
  return isDatabaseUnavailable(error) || isUnreadableReply(error);
}
