import { AppError, type AppErrorOptions } from './app-error.js';

export class NotFoundError extends AppError {
  constructor(message = 'We could not find that page.', options?: AppErrorOptions) {
    super(404, 'not_found', message, options);
  }
}
