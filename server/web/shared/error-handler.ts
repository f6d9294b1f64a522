/**
 * The one error chain: 404 catch-all, conversion to AppError, a log line with the request id, then an HTML
 * page, JSON or text as the client prefers. A failing template falls back to escaped plain HTML. Never a stack.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { DatabaseHealth } from '../../db/database-health.js';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { Logger } from '../../logging/logger.js';
import { languageLinks } from './locale.js';
import { toAppError } from './to-app-error.js';
import type { ViewRenderer } from './view-renderer.js';

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError());

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function errorHandler(deps: { views: ViewRenderer; i18n: I18n; logger: Logger; health: Pick<DatabaseHealth, 'noteError'> }): ErrorRequestHandler {
  return (rawError, req, res, next) => {
    const error = toAppError(rawError);
    // /healthz reports the faults requests meet; an unreadable reply also gets the pool reset.
    if (error.code === 'service_unavailable') deps.health.noteError(error.cause ?? rawError);
    const requestId = String(res.locals.requestId ?? '');
    const logEntry = { reqId: requestId, method: req.method, path: req.path, status: error.status, code: error.code };
    if (error.status >= 500 && error.code !== 'service_unavailable') deps.logger.error({ ...logEntry, err: rawError }, 'unhandled error');
    else if (error.status >= 500) deps.logger.warn({ ...logEntry, cause: ((error.cause as Error | undefined) ?? (rawError as Error))?.message }, 'database unavailable');
    else deps.logger.info(logEntry, 'request refused');

    if (res.headersSent) return next(rawError);
    const message = error.isPublic ? error.message : 'Internal error';
    res.status(error.status);
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');

    const locale = ((res.locals.locale as Locale | undefined) ?? 'zh-CN') satisfies Locale;
    const json = () => {
      res.json({ error: { status: error.status, code: error.code, message, ...(error.isPublic && error.details !== undefined ? { details: error.details } : {}), requestId } });
    };
    // API clients get JSON whatever they accept.
    if (res.locals.api) return json();
    res.format({
      html: () => {
        const code = deps.i18n.has(locale, `errors.${error.code}.heading`) ? error.code : error.status >= 500 ? 'internal_error' : 'bad_request';
        const model = {
          locale,
          languageLinks: languageLinks(req.originalUrl ?? '/', locale),
          requestId,
          status: error.status,
          heading: deps.i18n.translate(locale, `errors.${code}.heading`),
          body: deps.i18n.translate(locale, `errors.${code}.body`, { message }),
          pageTitle: deps.i18n.translate(locale, `errors.${code}.heading`),
        };
        try {
          res.type('html').send(deps.views.render('errors/error', model));
        } catch (templateError) {
          deps.logger.error({ reqId: requestId, err: templateError }, 'error page failed to render');
          res.type('html').send(`<!doctype html><meta charset="utf-8"><title>${error.status}</title><h1>${escapeHtml(model.heading)}</h1><p>${escapeHtml(model.body)}</p><p>${escapeHtml(requestId)}</p>`);
        }
      },
      json,
      default: () => {
        res.type('text').send(`${error.status} ${message} (${requestId})\n`);
      },
    });
  };
}
