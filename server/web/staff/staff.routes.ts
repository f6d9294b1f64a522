/** Everything under /staff: sessions, CSRF, sign-in, and the workspace pages. */
import express, { Router } from 'express';
import type { Container } from '../../container.js';
import type { Locale } from '../../i18n/i18n.js';
import { addAdviceStaffRoutes } from './advice.controller.js';
import { authController } from './auth.controller.js';
import { compareController } from './compare.controller.js';
import { concernsRoutes, concernsUploads } from './concerns.routes.js';
import { dashboardController } from './dashboard.controller.js';
import { exportsController } from './exports.controller.js';
import { staffHomeController } from './home.controller.js';
import { staffSession } from './staff-session.js';
import { passesOverResponses } from '../shared/heavy-requests.js';
import { loadBureau, requireSignIn, staffUser } from './staff-pages.js';
import { peopleController, requireAdmin } from './people.controller.js';
import { sharingController } from './sharing.controller.js';
import { surveysController } from './surveys.controller.js';
import { tokensController } from './tokens.controller.js';

export function staffRoutes(container: Container, session: ReturnType<typeof staffSession>): Router {
  const { config, views, i18n } = container;
  const translate = (locale: Locale, key: string, params?: Record<string, unknown>) => i18n.translate(locale, key, params);
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(session.sessions, session.currentUser);
  router.use(express.urlencoded({ extended: false, limit: '512kb', parameterLimit: 5000 }));
  concernsUploads(router);
  router.use(session.csrfProtection, session.csrfToken);

  const auth = authController({ accounts: container.accounts, audit: container.audit, views, secret: config.secret, secureCookies: config.publicUrl.startsWith('https:'), translate });
  router.get('/login', auth.showLogin);
  router.post('/login', auth.login);
  router.post('/logout', auth.logout);

  router.use(requireSignIn);
  router.get('/', staffHomeController({ models: container.models, comparisons: container.comparisons, templates: container.templates, views, translate }));
  router.get('/compare/:template', compareController({ models: container.models, comparisons: container.comparisons, templates: container.templates, views, i18n }));

  const read = loadBureau(container.directory, 'read');
  const manage = loadBureau(container.directory, 'manage');
  const surveys = surveysController({ editor: container.editor, templates: container.templates, views, i18n, publicUrl: config.publicUrl });
  router.get('/b/:bureau', read, surveys.list);
  router.get('/b/:bureau/surveys/new', manage, surveys.newForm);
  router.post('/b/:bureau/surveys', manage, surveys.create);
  router.get('/b/:bureau/surveys/:survey', read, surveys.overview);
  router.get('/b/:bureau/surveys/:survey/edit', manage, surveys.editForm);
  router.post('/b/:bureau/surveys/:survey/edit', manage, surveys.edit);
  router.get('/b/:bureau/surveys/:survey/preview', read, surveys.preview);
  router.get('/b/:bureau/surveys/:survey/export.json', read, surveys.exportJson);
  router.get('/b/:bureau/surveys/:survey/lifecycle/:action', manage, surveys.confirmLifecycle);
  router.post('/b/:bureau/surveys/:survey/lifecycle/:action', manage, surveys.lifecycle);
  router.post('/b/:bureau/surveys/:survey/schedule', manage, surveys.schedule);
  router.post('/b/:bureau/surveys/:survey/duplicate', manage, surveys.duplicate);
  router.get('/b/:bureau/surveys/:survey/delete', manage, surveys.confirmRemove);
  router.post('/b/:bureau/surveys/:survey/delete', manage, surveys.remove);

  const dashboard = dashboardController({ directory: container.directory, results: container.results, views, i18n, voteWatch: container.voteWatch });
  const heavy = container.heavyRequests;
  const byUser = (res: express.Response) => `user:${staffUser(res).id}`;
  router.get('/b/:bureau/surveys/:survey/results', read, heavy.gate(byUser, passesOverResponses, { queue: true }), dashboard.results);
  router.get('/b/:bureau/surveys/:survey/results/text/:question', read, heavy.gate(byUser), dashboard.texts);
  const exportsPage = exportsController({ directory: container.directory, results: container.results, exporter: container.exporter, audit: container.audit, views, i18n });
  router.get('/b/:bureau/surveys/:survey/export', read, heavy.gate(byUser, passesOverResponses, { queue: true }), exportsPage.page);
  router.get('/b/:bureau/surveys/:survey/export/:file', read, heavy.gate(byUser), exportsPage.file);
  router.get('/b/:bureau/surveys/:survey/report', read, heavy.gate(byUser, passesOverResponses, { queue: true }), dashboard.report);

  const sharing = sharingController({ editor: container.editor, shareKit: container.shareKit, codes: container.codes, audit: container.audit, views, i18n });
  router.get('/b/:bureau/surveys/:survey/share', manage, sharing.sharePage);
  router.get('/b/:bureau/surveys/:survey/qr.svg', manage, sharing.qrSvg);
  router.get('/b/:bureau/surveys/:survey/qr.png', manage, sharing.qrPng);
  router.get('/b/:bureau/surveys/:survey/poster', manage, sharing.poster);
  router.get('/b/:bureau/surveys/:survey/codes', manage, sharing.codesPage);
  router.post('/b/:bureau/surveys/:survey/codes', manage, sharing.generateCodes);
  router.get('/b/:bureau/surveys/:survey/codes/:batch/revoke', manage, sharing.confirmRevokeBatch);
  router.post('/b/:bureau/surveys/:survey/codes/:batch/revoke', manage, sharing.revokeBatch);

  const people = peopleController({ models: container.models, accounts: container.accounts, bureaus: container.bureaus, directory: container.directory, audit: container.audit, views, i18n });
  router.get('/b/:bureau/staff', manage, people.staffList);
  router.post('/b/:bureau/staff', manage, people.addStaff);
  router.get('/b/:bureau/staff/:user/revoke/:role', manage, people.confirmRevokeRole);
  router.post('/b/:bureau/staff/:user/revoke/:role', manage, people.revokeRole);
  router.get('/b/:bureau/audit', manage, people.bureauAudit);
  const tokens = tokensController({ apiTokens: container.apiTokens, audit: container.audit, views, i18n, publicUrl: config.publicUrl });
  router.get('/b/:bureau/tokens', manage, tokens.list);
  router.post('/b/:bureau/tokens', manage, tokens.create);
  router.get('/b/:bureau/tokens/:token/revoke', manage, tokens.confirmRevoke);
  router.post('/b/:bureau/tokens/:token/revoke', manage, tokens.revoke);
  addAdviceStaffRoutes(router, container);
  concernsRoutes(router, container);
  router.get('/admin/bureaus', requireAdmin, people.adminBureaus);
  router.post('/admin/bureaus', requireAdmin, people.createBureau);
  router.post('/admin/planners', requireAdmin, people.grantPlanner);
  router.get('/admin/audit', requireAdmin, people.adminAudit);
  return router;
}
