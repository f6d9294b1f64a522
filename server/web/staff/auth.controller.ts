/** Sign-in and sign-out of staff. */
import type { RequestHandler } from 'express';
import type { Locale } from '../../i18n/i18n.js';
import type { AccountService } from '../../services/accounts/account.service.js';
import type { AuditLog } from '../../services/audit/audit-log.js';
import { hashClientAddress } from '../../services/voting/client-address.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { endSession, SESSION_COOKIE, signInSession } from './staff-session.js';
import { renderStaffPage, safeNext } from './staff-pages.js';

/** The known-device cookie (see known-devices.ts): lets its owner sign in while someone floods the account. */
export const DEVICE_COOKIE = 'minyi_device';
const DEVICE_COOKIE_DAYS = 180;

export function authController(deps: { accounts: AccountService; audit: AuditLog; views: ViewRenderer; secret: string; secureCookies: boolean; translate: (locale: Locale, key: string) => string }) {
  const showLogin: RequestHandler = (req, res) => {
    if (res.locals.user) return res.redirect(303, safeNext(req.query.next));
    renderStaffPage(deps.views, res, 'pages/staff/login', { pageTitle: deps.translate(res.locals.locale as Locale, 'staff.login.title'), next: safeNext(req.query.next) });
  };

  const login: RequestHandler = async (req, res) => {
    const email = typeof req.body?.email === 'string' ? req.body.email : '';
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    const result = await deps.accounts.signIn(email, password, { clientHash: hashClientAddress(req.ip, deps.secret), deviceCookie: req.cookies?.[DEVICE_COOKIE] });
    if (!result.ok) {
      await deps.audit.record({ actor: null, actorEmail: email.trim().toLowerCase().slice(0, 254) || 'unknown', action: 'login.failed' });
      return renderStaffPage(deps.views, res, 'pages/staff/login', { pageTitle: deps.translate(res.locals.locale as Locale, 'staff.login.title'), failed: true, email, next: safeNext(req.body?.next) }, 401);
    }
    await signInSession(req, result.user.id);
    res.cookie(DEVICE_COOKIE, result.deviceCookie, { httpOnly: true, sameSite: 'lax', secure: deps.secureCookies, maxAge: DEVICE_COOKIE_DAYS * 86_400_000, path: '/staff' });
    await deps.audit.record({ actor: result.user, action: 'login' });
    res.redirect(303, safeNext(req.body?.next));
  };

  const logout: RequestHandler = async (req, res) => {
    if (res.locals.user) await deps.audit.record({ actor: res.locals.user, action: 'logout' });
    await endSession(req);
    // Cleared with the flags it was set with, so no browser ever holds a weaker copy.
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: deps.secureCookies });
    res.redirect(303, '/staff/login');
  };

  return { showLogin, login, logout };
}
