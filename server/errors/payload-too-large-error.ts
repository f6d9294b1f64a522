import { AppError, type AppErrorOptions } from './app-error.js';

export class PayloadTooLargeError extends AppError {
  constructor(message = 'The form sent was too large.', options?: AppErrorOptions) {
    super(413, 'payload_too_large', message, options);
  }
}
