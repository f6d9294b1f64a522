/** Maps errors thrown by Express, body parsers, mongoose and the driver onto AppErrors; anything else is a 500. */
import { isDatabaseFault } from '../../db/database-faults.js';
import { AppError, BadRequestError, ConflictError, PayloadTooLargeError, ServiceUnavailableError } from '../../errors/index.js';

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
  // Every driver and mongoose error for a database that is down, hung, or answered what cannot be read, wrapped or not.
  if (isDatabaseFault(error)) return new ServiceUnavailableError(5, { cause: error });
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
