import { AppError, type AppErrorOptions } from './app-error.js';

/** The database (or another part we depend on) is not answering; the client should retry shortly. */
export class ServiceUnavailableError extends AppError {
  constructor(retryAfterSeconds = 5, options: AppErrorOptions = {}) {
    super(503, 'service_unavailable', 'The service is briefly unavailable. Please try again in a few seconds.', {
      ...options,
      headers: { 'Retry-After': String(retryAfterSeconds), ...options.headers },
    });
  }

  override get isPublic(): boolean {
    return true;
  }
}
