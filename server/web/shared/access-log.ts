import type { RequestHandler } from 'express';
import type { Logger } from '../../logging/logger.js';

/** One log line per request: never the client address or the query string (it may hold invitation codes). */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Below debug level only failures are written: build nothing for the others.
      if (res.statusCode < 500 && !logger.isLevelEnabled('debug')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = { reqId: res.locals.requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.statusCode >= 500) logger.error(entry, 'request failed');
      else logger.debug(entry, 'request');
    });
    next();
  };
}
