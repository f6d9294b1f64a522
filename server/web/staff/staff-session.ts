/**
 * Staff sessions: stored in the database (connect-mongo; expired ones removed by a periodic delete, as
 * FerretDB has no TTL indexes), an idle timeout through a rolling cookie, an absolute timeout checked
 * here, and synchronizer-token CSRF protection on every state-changing request.
 */
import MongoStore from 'connect-mongo';
import { csrfSync } from 'csrf-sync';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { Connection } from 'mongoose';
import type { Principal } from '../../services/accounts/access.js';
import type { AccountService } from '../../services/accounts/account.service.js';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    startedAt?: number;
  }
}

export const SESSION_COOKIE = 'minyi_sid';

export interface StaffSessionOptions {
  connection: Connection;
  secret: string;
  secureCookies: boolean;
  idleMinutes: number;
  maxHours: number;
  accounts: AccountService;
}

export function staffSession(options: StaffSessionOptions) {
  const idleMs = options.idleMinutes * 60_000;
  const store = MongoStore.create({
    client: options.connection.getClient() as never,
    dbName: options.connection.name,
    collectionName: 'sessions',
    autoRemove: 'interval',
    autoRemoveInterval: 10,
    ttl: Math.ceil(idleMs / 1000),
    // The rolling cookie would rewrite the session on every request; once a minute keeps the idle timeout to
    // the minute and spares the database a write per page (on FerretDB one that reads every session).
    touchAfter: 60,
    stringify: false,
  });
  const sessions = session({
    name: SESSION_COOKIE,
    secret: options.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.secureCookies, maxAge: idleMs, path: '/' },
  });

  /** Ends a session past its absolute lifetime, and loads the signed-in staff member into res.locals.user. */
  const currentUser: RequestHandler = async (req, res, next) => {
    const { userId, startedAt } = req.session;
    if (userId && startedAt && Date.now() - startedAt > options.maxHours * 3600_000) {
      await new Promise<void>((resolve) => req.session.regenerate(() => resolve()));
    } else if (userId) {
      const user: Principal | null = await options.accounts.findPrincipal(userId);
      if (user) res.locals.user = user;
      else delete req.session.userId;
    }
    next();
  };

  const csrf = csrfSync({
    getTokenFromRequest: (req) => (typeof req.body?._csrf === 'string' ? req.body._csrf : req.get('x-csrf-token')),
    size: 32,
    errorConfig: { statusCode: 403, message: 'The form has expired. Reload the page and try again.', code: 'form_expired' },
  });

  /** Makes the CSRF token available to every staff page. */
  const csrfToken: RequestHandler = (req, res, next) => {
    res.locals.csrfToken = csrf.generateToken(req);
    next();
  };

  return { sessions, currentUser, csrfProtection: csrf.csrfSynchronisedProtection, csrfToken, store };
}

/** Starts a fresh session for the user: a new id, so a session fixed before sign-in is worthless. */
export function signInSession(req: Parameters<RequestHandler>[0], userId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((error) => {
      if (error) return reject(error);
      req.session.userId = userId;
      req.session.startedAt = Date.now();
      req.session.save((saveError) => (saveError ? reject(saveError) : resolve()));
    });
  });
}

export function endSession(req: Parameters<RequestHandler>[0]): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
}
