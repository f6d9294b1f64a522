import { MongoNetworkError, MongoUnexpectedServerResponseError } from 'mongodb';
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

  it('keeps anything unknown a 500 without its message', () => {
    const mapped = toAppError(new Error('secret detail'));
    expect(mapped.status).toBe(500);
    expect(mapped.message).not.toContain('secret detail');
  });
});
