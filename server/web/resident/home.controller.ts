import type { RequestHandler } from 'express';
import type { Locale } from '../../i18n/i18n.js';
import type { BureauService } from '../../services/bureaus/bureau.service.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';

/** GET /: the bureaus that have open surveys. */
export function homeController(deps: { bureaus: BureauService; views: ViewRenderer }): RequestHandler {
  return async (_req, res) => {
    const locale = res.locals.locale as Locale;
    const bureaus = await deps.bureaus.listWithOpenSurveys();
    renderPage(deps.views, res, 'pages/resident/home', {
      pageTitle: null,
      bureaus: bureaus.map((b) => ({ href: `/b/${b.slug}`, name: b.name[locale], kind: b.kind, city: b.city[locale], openSurveys: b.openSurveys })),
    });
  };
}
