/** createApp builds the Express app from its services; it never listens or connects. */
import path from 'node:path';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import type { Container } from './container.js';
import { projectRoot } from './paths.js';
import { adviceRoutes } from './web/resident/advice.routes.js';
import { accountabilityController } from './web/resident/accountability.controller.js';
import { bureauController } from './web/resident/bureau.controller.js';
import { homeController } from './web/resident/home.controller.js';
import { publicResultsController } from './web/resident/results.controller.js';
import { shareLinksController } from './web/resident/share-links.controller.js';
import { surveyController } from './web/resident/survey.controller.js';
import { accessLog } from './web/shared/access-log.js';
import { errorHandler, notFound } from './web/shared/error-handler.js';
import { negotiateLocale } from './web/shared/locale.js';
import { requestId } from './web/shared/request-id.js';
import { securityHeaders } from './web/shared/security-headers.js';
import { apiRoutes } from './web/api/api.routes.js';
import { staffSession } from './web/staff/staff-session.js';
import { staffRoutes } from './web/staff/staff.routes.js';
import { healthController } from './web/system/health.controller.js';

export function createApp(container: Container): Express {
  const { config, logger, views, i18n } = container;
  const https = config.publicUrl.startsWith('https:');
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  // Pages are rendered per request and sent with Cache-Control: no-store; hashing each one for an ETag is wasted.
  app.set('etag', false);

  app.use(requestId);
  app.use(accessLog(logger));
  app.use(securityHeaders({ https }));
  // Residents on slow mobile connections: pages and scripts shrink to about a quarter gzipped.
  const compress = compression({ threshold: 1024 });
  app.use((req, res, next) => {
    if (req.headers['accept-encoding']) return compress(req, res, next);
    // A client that takes no encoding gets none; caches still learn that the answer depends on it.
    res.vary('Accept-Encoding');
    next();
  });
  app.use('/static', express.static(path.join(projectRoot(), 'public'), { maxAge: '1d', index: false, fallthrough: true }));
  // Chart.js is served from the installed package, never from a CDN.
  app.get('/static/vendor/chart.umd.min.js', (_req, res) => res.sendFile(path.join(projectRoot(), 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js'), { maxAge: '7d' }));
  app.use(cookieParser(config.secret));
  app.use(negotiateLocale(i18n, { secureCookies: https }));

  app.get('/healthz', healthController({ database: container.database, health: container.health, runningDatabase: container.runningDatabase }));
  app.get('/', homeController({ bureaus: container.bureaus, views }));
  app.get('/b/:bureau', bureauController({ directory: container.directory, surveys: container.surveys, views }));
  const survey = surveyController({ directory: container.directory, votes: container.votes, tokens: container.tokens, receipts: container.receipts, views, i18n, pageCache: container.pageCache, secureCookies: https });
  const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 400 });
  app.get('/b/:bureau/s/:survey', survey.show);
  app.post('/b/:bureau/s/:survey', formBody, survey.vote);
  app.get('/b/:bureau/s/:survey/thanks/:receipt', survey.thanks);
  app.get('/b/:bureau/s/:survey/results', publicResultsController({ directory: container.directory, results: container.results, views, i18n }));
  app.get('/b/:bureau/accountability', accountabilityController({ directory: container.directory, accountability: container.accountability, views, i18n, smallCellMin: config.smallCellMin }));
  const shareLinks = shareLinksController({ models: container.models, directory: container.directory, views, i18n });
  app.get('/s/:code', shareLinks.shortLink);
  app.get('/embed/b/:bureau/s/:survey', shareLinks.embed);
  app.use(adviceRoutes(container));

  const session = staffSession({
    connection: container.database.connection,
    secret: config.secret,
    secureCookies: https,
    idleMinutes: config.sessionIdleMinutes,
    maxHours: config.sessionMaxHours,
    accounts: container.accounts,
  });
  app.use('/staff', staffRoutes(container, session));
  app.use('/api/v1', apiRoutes(container, [session.sessions, session.currentUser]));

  app.use(notFound);
  app.use(errorHandler({ views, i18n, logger, health: container.health }));
  return app;
}
