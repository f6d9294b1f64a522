import { MongoBulkWriteError, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError, MongoServerSelectionError, MongoUnexpectedServerResponseError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { toAppError } from '../../../server/web/shared/to-app-error.js';

describe('toAppError', () => {
  it('turns an unreachable database, or a reply it cannot read, into 503 with a retry delay', () => {
    for (const error of [new MongoNetworkError('connection refused'), new MongoUnexpectedServerResponseError('BSON element "cursor" is missing')]) {
      const mapped = toAppError(error);
      expect(mapped.status).toBe(503);
      expect(mapped.code).toBe('service_unavailable');
    }
  });

  it('turns every error of a hung or lost database into 503, whatever its class name or wrapping', () => {
    // The driver's pool errors are not exported; they are recognised by name, label or cause, as main missed.
    const poolCleared = Object.assign(new Error('Connection to 127.0.0.1:1 interrupted due to server monitor timeout', { cause: new MongoNetworkTimeoutError('connection <monitor> timed out') }), { name: 'PoolClearedOnNetworkError' });
    const waitQueue = Object.assign(new Error('Timed out while checking out a connection from connection pool'), { name: 'MongoWaitQueueTimeoutError' });
    const labelled = new MongoServerError({ message: 'reset', errorLabels: ['ResetPool'] });
    const shuttingDown = new MongoServerError({ message: 'shutting down', code: 91 });
    const buffering = Object.assign(new Error('Operation `surveys.findOne()` buffering timed out after 10000ms'), { name: 'MongooseError' });
    const selection = new MongoServerSelectionError('connection <monitor> timed out', { type: 'Unknown', servers: new Map(), stale: false, compatible: true, heartbeatFrequencyMS: 500, localThresholdMS: 15, setName: null, maxElectionId: null, maxSetVersion: null, commonWireVersion: 0, logicalSessionTimeoutMinutes: null } as never);
    const wrapped = new MongoBulkWriteError({ message: 'bulk', code: 0, errorResponse: poolCleared } as never, { insertedCount: 0 } as never);
    for (const error of [poolCleared, waitQueue, labelled, shuttingDown, buffering, selection, wrapped]) {
      const mapped = toAppError(error);
      expect({ name: error.name, status: mapped.status }).toEqual({ name: error.name, status: 503 });
      expect(mapped.headers['Retry-After']).toMatch(/^\d+$/);
    }
  });

  it('keeps a duplicate key a 409 and a refused command a 500', () => {
    expect(toAppError(new MongoServerError({ message: 'E11000', code: 11000, keyPattern: { slug: 1 } })).status).toBe(409);
    expect(toAppError(new MongoServerError({ message: 'unknown operator', code: 2 })).status).toBe(500);
  });

  it('keeps anything unknown a 500 without its message', () => {
    const mapped = toAppError(new Error('secret detail'));
    expect(mapped.status).toBe(500);
    expect(mapped.message).not.toContain('secret detail');
  });
});
