import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * Strict headers on every response: no inline script or style, no plugins, no <base>, no framing
 * (the embed route relaxes frame-ancestors for itself only). Helmet decides the headers; they are the same
 * for every request, so they are worked out once and each response only copies them.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  const headers = new Map<string, string>();
  const record = { setHeader: (name: string, value: string) => headers.set(name, value), removeHeader: (name: string) => headers.delete(name) };
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
  })({} as never, record as never, () => {});
  if (headers.size === 0) throw new Error('helmet set no headers');
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
