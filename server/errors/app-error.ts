/** Base of every error a service may throw on purpose; only the error middleware turns it into a response. */
export interface AppErrorOptions {
  /** Extra facts for the client, e.g. which field was wrong. Must never hold secrets. */
  details?: unknown;
  /** Response headers the error needs, e.g. Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  /** Stable, machine-readable code, also the i18n key suffix for the error page. */
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  /** 5xx messages describe our failure, not the client's, so they are never shown. */
  get isPublic(): boolean {
    return this.status < 500;
  }
}
