import type { RequestHandler } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { Locale } from '../../i18n/i18n.js';
import type { SurveyService } from '../../services/surveys/survey.service.js';
import { closedAt, effectiveStatus } from '../../services/voting/survey-availability.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { formatDate, formatDateTime, isSlug, pageLocale, publicResultsHref } from './resident-pages.js';

/** GET /b/:bureau: the bureau's open surveys, and closed ones whose results are public. */
export function bureauController(deps: { directory: SurveyDirectory; surveys: SurveyService; views: ViewRenderer }): RequestHandler {
  return async (req, res) => {
    if (!isSlug(req.params.bureau)) throw new NotFoundError();
    const bureau = await deps.directory.bureau(req.params.bureau);
    if (!bureau) throw new NotFoundError();
    const locale: Locale = pageLocale(res, bureau.defaultLocale);
    const now = new Date();
    const surveys = (await deps.surveys.listForBureau(bureau._id, ['open', 'scheduled', 'closed'])).map((survey) => ({ survey, status: effectiveStatus(survey, now) }));
    const text = (t: { 'zh-CN': string; en: string }) => t[locale] || t['zh-CN'];
    renderPage(
      deps.views,
      res,
      'pages/resident/bureau',
      {
        pageTitle: text(bureau.name),
        bureau: { name: text(bureau.name), kind: bureau.kind, region: text(bureau.region), city: text(bureau.city) },
        adviceHref: bureau.adviceCategories.length > 0 ? `/b/${bureau.slug}/advice` : null,
        open: surveys
          .filter((s) => s.status === 'open')
          .map(({ survey }) => ({
            title: text(survey.title),
            description: text(survey.description),
            href: `/b/${bureau.slug}/s/${survey.slug}`,
            closesOn: survey.closesAt ? formatDate(survey.closesAt, locale, bureau.timezone) : null,
          })),
        upcoming: surveys
          .filter((s) => s.status === 'scheduled')
          .map(({ survey }) => ({
            title: text(survey.title),
            href: `/b/${bureau.slug}/s/${survey.slug}`,
            opensOn: survey.opensAt ? formatDateTime(survey.opensAt, locale, bureau.timezone) : null,
          })),
        closed: surveys
          .filter((s) => s.status === 'closed')
          .map(({ survey }) => ({
            title: text(survey.title),
            closedOn: formatDate(closedAt(survey), locale, bureau.timezone),
            resultsHref: publicResultsHref(bureau, survey, 'closed'),
          })),
      },
      { locale },
    );
  };
}
