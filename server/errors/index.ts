export { AppError, type AppErrorOptions } from './app-error.js';
export { BadRequestError } from './bad-request-error.js';
export { ConflictError } from './conflict-error.js';
export { NotFoundError } from './not-found-error.js';
export { PayloadTooLargeError } from './payload-too-large-error.js';
export { RateLimitedError } from './rate-limited-error.js';
export { ServiceUnavailableError } from './service-unavailable-error.js';
export { ValidationError, type FieldProblem } from './validation-error.js';
