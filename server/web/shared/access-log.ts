import type { RequestHandler } from 'express';
import type { Logger } from '../../logging/logger.js';

/** Tracking and satisfaction codes are in the path of their pages: they are logged as "…". */
const CODE_PATH = /^(\/track|\/rate|\/b\/[^/]+\/advice\/sent)\/[^/]+/;

/** One log line per request: never the client address or the query string (it may hold invitation codes). */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Below debug level only failures are written: build nothing for the others.
      if (res.statusCode < 500 && !logger.isLevelEnabled('debug')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = { reqId: res.locals.requestId, method: req.method, path: req.path.replace(CODE_PATH, '$1/…'), status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.statusCode >= 500) logger.error(entry, 'request failed');
      else logger.debug(entry, 'request');
    });
    next();
  };
}
