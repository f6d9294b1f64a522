/**
 * Staff sessions: stored in the database (connect-mongo; expired ones removed by a periodic delete, as
 * FerretDB has no TTL indexes), an idle timeout through a rolling cookie, an absolute timeout checked
 * here, and CSRF protection on every state-changing request: synchronizer tokens in signed-in sessions, a
 * stateless double-submit token before sign-in (no session is stored for anybody who has not signed in).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import MongoStore from 'connect-mongo';
import { csrfSync } from 'csrf-sync';
import type { RequestHandler } from 'express';
import session, { type SessionData } from 'express-session';
import type { Connection } from 'mongoose';
import { AppError } from '../../errors/index.js';
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
  const store = new SessionStore({
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

  const anonymousCsrf = new AnonymousCsrf(options.secret, options.secureCookies);
  const signedIn = (req: Parameters<RequestHandler>[0]) => typeof req.session?.userId === 'string';

  /**
   * Makes the CSRF token available to every staff page. Before sign-in the token is stateless (a keyed
   * hash of a random cookie), so a stranger's GET stores no session: a flood of them costs no database write.
   */
  const csrfToken: RequestHandler = (req, res, next) => {
    res.locals.csrfToken = signedIn(req) ? csrf.generateToken(req) : anonymousCsrf.token(req, res);
    next();
  };

  const csrfProtection: RequestHandler = (req, res, next) => {
    if (signedIn(req)) return csrf.csrfSynchronisedProtection(req, res, next);
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || anonymousCsrf.valid(req)) return next();
    next(new AppError(403, 'form_expired', 'The form has expired. Reload the page and try again.'));
  };

  return { sessions, currentUser, csrfProtection, csrfToken, store };
}

/**
 * connect-mongo's store, reading a session by `_id` alone and checking its expiry here: its own read adds
 * the expiry to the filter, which FerretDB 1.24 answers by reading and decoding every stored session, on
 * every staff page. (Sessions are stored whole, `stringify: false`, unencrypted; see staffSession.)
 */
class SessionStore extends MongoStore {
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    (async () => {
      const stored = await (await this.collectionP).findOne({ _id: sid });
      if (!stored || (stored.expires && stored.expires.getTime() <= Date.now())) return null;
      const data = stored.session as SessionData;
      // As connect-mongo gives it: touchAfter compares it with the time of the next touch.
      return stored.lastModified ? { ...data, lastModified: stored.lastModified } : data;
    })().then(
      (found) => callback(null, found),
      (error: unknown) => callback(error),
    );
  }
}

const ANONYMOUS_CSRF_COOKIE = 'minyi_staff_csrf';

/** Double-submit CSRF tokens for forms shown before sign-in: the token is an HMAC of a random nonce kept in a cookie. */
class AnonymousCsrf {
  constructor(
    private readonly secret: string,
    private readonly secureCookies: boolean,
  ) {}

  token(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]): string {
    let nonce = this.nonceOf(req);
    if (!nonce) {
      nonce = randomBytes(16).toString('base64url');
      res.cookie(ANONYMOUS_CSRF_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure: this.secureCookies, path: '/staff' });
    }
    return this.mac(nonce);
  }

  valid(req: Parameters<RequestHandler>[0]): boolean {
    const nonce = this.nonceOf(req);
    const given = typeof req.body?._csrf === 'string' ? req.body._csrf : req.get('x-csrf-token');
    if (!nonce || typeof given !== 'string') return false;
    const expected = Buffer.from(this.mac(nonce));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private nonceOf(req: Parameters<RequestHandler>[0]): string | undefined {
    const value: unknown = req.cookies?.[ANONYMOUS_CSRF_COOKIE];
    return typeof value === 'string' && /^[\w-]{22}$/.test(value) ? value : undefined;
  }

  private mac(nonce: string): string {
    return createHmac('sha256', this.secret).update(`staff-csrf:${nonce}`).digest('base64url');
  }
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
