/** Everything under /staff: sessions, CSRF, sign-in, and the workspace pages. */
import express, { Router } from 'express';
import type { Container } from '../../container.js';
import type { Locale } from '../../i18n/i18n.js';
import { authController } from './auth.controller.js';
import { staffHomeController } from './home.controller.js';
import { staffSession } from './staff-session.js';
import { requireSignIn } from './staff-pages.js';

export function staffRoutes(container: Container, options: { secureCookies: boolean }): Router {
  const { config, views, i18n } = container;
  const translate = (locale: Locale, key: string) => i18n.translate(locale, key);
  const router = Router();
  const session = staffSession({
    connection: container.database.connection,
    secret: config.secret,
    secureCookies: options.secureCookies,
    idleMinutes: config.sessionIdleMinutes,
    maxHours: config.sessionMaxHours,
    accounts: container.accounts,
  });
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(session.sessions, session.currentUser);
  router.use(express.urlencoded({ extended: false, limit: '512kb', parameterLimit: 5000 }));
  router.use(session.csrfProtection, session.csrfToken);

  const auth = authController({ accounts: container.accounts, audit: container.audit, views, secret: config.secret, translate });
  router.get('/login', auth.showLogin);
  router.post('/login', auth.login);
  router.post('/logout', auth.logout);

  router.use(requireSignIn);
  router.get('/', staffHomeController({ models: container.models, views, translate }));
  return router;
}
