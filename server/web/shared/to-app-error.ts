/** Maps errors thrown by Express, body parsers, mongoose and the driver onto AppErrors; anything else is a 500. */
import { AppError, BadRequestError, ConflictError, PayloadTooLargeError, ServiceUnavailableError } from '../../errors/index.js';

const UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoExpiredSessionError',
  // FerretDB 1.24, under long scans or bulk inserts, now and then answers a find with a reply that has no
  // cursor. Nothing was changed by it, so asking again later is safe.
  'MongoUnexpectedServerResponseError',
]);

export class InternalError extends AppError {
  constructor(cause: unknown) {
    super(500, 'internal_error', 'Internal error', { cause });
  }
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as { name?: string; type?: string; status?: number; statusCode?: number; code?: number; message?: string; keyPattern?: Record<string, unknown>; errorLabels?: string[] };
  if (e?.type === 'entity.too.large') return new PayloadTooLargeError();
  if (e?.type === 'parameters.too.many') return new PayloadTooLargeError('The form has too many fields.');
  if (e?.type === 'entity.parse.failed' || e?.type === 'entity.verify.failed') return new BadRequestError('The request body is malformed.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new AppError(415, 'unsupported_media_type', 'Send the form as UTF-8.');
  }
  if (e?.name === 'URIError') return new BadRequestError('The address contains malformed percent-encoding.');
  if (e?.name && UNAVAILABLE_ERRORS.has(e.name)) return new ServiceUnavailableError(5, { cause: error });
  // A bulk insert that could not reach the server wraps the reason instead of being it.
  const wrapped = e?.name === 'MongoBulkWriteError' ? ((error as { errorResponse?: { name?: string }; cause?: { name?: string } }).errorResponse ?? (error as { cause?: { name?: string } }).cause) : undefined;
  if (wrapped?.name && UNAVAILABLE_ERRORS.has(wrapped.name)) return new ServiceUnavailableError(5, { cause: error });
  if (e?.name === 'MongooseError' && /initial connection|buffering timed out|Connection was force closed|client was closed/i.test(e.message ?? '')) {
    return new ServiceUnavailableError(5, { cause: error });
  }
  if (e?.code === 11000) {
    const field = Object.keys(e.keyPattern ?? {}).filter((key) => key !== 'survey' && key !== 'bureau').join(', ') || 'a unique field';
    return new ConflictError(`Another record already uses this ${field}.`, { details: { field }, cause: error });
  }
  const status = e?.status ?? e?.statusCode;
  if (status === 403) return new AppError(403, 'form_expired', 'The form has expired. Reload the page and try again.', { cause: error });
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, status === 404 ? 'not_found' : 'bad_request', status === 404 ? 'Not found' : 'The request could not be understood.', { cause: error });
  }
  return new InternalError(error);
}
