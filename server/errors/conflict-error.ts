import { AppError, type AppErrorOptions } from './app-error.js';

export class ConflictError extends AppError {
  constructor(message: string, options?: AppErrorOptions & { code?: string }) {
    super(409, options?.code ?? 'conflict', message, options);
  }
}
