import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on standard output; secrets and passwords are redacted wherever they appear. */
export function createLogger(level: string, destination?: { write(chunk: string): unknown }): Logger {
  return pino(
    {
      level,
      base: { service: 'minyi' },
      redact: { paths: ['password', '*.password', 'req.headers.cookie', 'secret', '*.secret'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
