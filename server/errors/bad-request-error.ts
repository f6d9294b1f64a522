import { AppError, type AppErrorOptions } from './app-error.js';

export class BadRequestError extends AppError {
  constructor(message = 'The request could not be understood.', options?: AppErrorOptions) {
    super(400, 'bad_request', message, options);
  }
}
