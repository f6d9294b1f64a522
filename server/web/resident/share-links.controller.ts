/** Public ends of the sharing kit: the short link and the frameable embed card. */
import type { RequestHandler } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n } from '../../i18n/i18n.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { Survey } from '../../models/survey.model.js';
import { effectiveStatus } from '../../services/voting/survey-availability.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { findAnnouncedSurvey, formatDateTime, pageLocale } from './resident-pages.js';

export function shareLinksController(deps: { models: Models; directory: SurveyDirectory; views: ViewRenderer; i18n: I18n }) {
  /** GET /s/:code: to the survey once announced (a scheduled survey's page says when it opens). */
  const shortLink: RequestHandler = async (req, res) => {
    const code = String(req.params.code);
    if (!/^[a-z0-9]{7}$/.test(code)) throw new NotFoundError();
    const survey = await deps.models.Survey.findOne({ shortCode: code }, { bureau: 1, slug: 1, status: 1, opensAt: 1, closesAt: 1 }).lean<Survey>();
    if (!survey || effectiveStatus(survey) === 'draft') throw new NotFoundError();
    const bureau = await deps.models.Bureau.findById(survey.bureau, { slug: 1 }).lean<Bureau>();
    if (!bureau) throw new NotFoundError();
    const query = typeof req.query.lang === 'string' ? `?lang=${encodeURIComponent(req.query.lang)}` : '';
    res.redirect(302, `/b/${bureau.slug}/s/${survey.slug}${query}`);
  };

  /** GET /embed/b/:bureau/s/:survey: the only page other sites may frame; its button opens the survey in a new tab. */
  const embed: RequestHandler = async (req, res) => {
    const { bureau, survey, status } = await findAnnouncedSurvey(deps.directory, req);
    const locale = pageLocale(res, survey.defaultLocale);
    const csp = String(res.getHeader('Content-Security-Policy') ?? '').replace("frame-ancestors 'none'", 'frame-ancestors *');
    res.setHeader('Content-Security-Policy', csp);
    res.removeHeader('X-Frame-Options');
    renderPage(deps.views, res, 'pages/resident/embed', {
      pageTitle: survey.title[locale],
      bureauName: bureau.name[locale],
      title: survey.title[locale],
      description: survey.description[locale],
      open: status === 'open',
      opens: status === 'scheduled' ? (survey.opensAt ? deps.i18n.translate(locale, 'vote.scheduled.opens', { date: formatDateTime(survey.opensAt, locale, bureau.timezone) }) : deps.i18n.translate(locale, 'vote.scheduled.opensLater')) : null,
      href: `/b/${bureau.slug}/s/${survey.slug}?lang=${locale}`,
    }, { layout: 'embed', locale });
  };

  return { shortLink, embed };
}
