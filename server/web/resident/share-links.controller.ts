/** Public ends of the sharing kit: the short link and the frameable embed card. */
import type { RequestHandler } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { Survey } from '../../models/survey.model.js';
import { effectiveStatus, isPublished } from '../../services/voting/survey-availability.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { findPublishedSurvey, pageLocale } from './resident-pages.js';

export function shareLinksController(deps: { models: Models; directory: SurveyDirectory; views: ViewRenderer }) {
  /** GET /s/:code: to the survey, if residents may see it. */
  const shortLink: RequestHandler = async (req, res) => {
    const code = String(req.params.code);
    if (!/^[a-z0-9]{7}$/.test(code)) throw new NotFoundError();
    const survey = await deps.models.Survey.findOne({ shortCode: code }, { bureau: 1, slug: 1, status: 1, opensAt: 1, closesAt: 1 }).lean<Survey>();
    if (!survey || !isPublished(effectiveStatus(survey))) throw new NotFoundError();
    const bureau = await deps.models.Bureau.findById(survey.bureau, { slug: 1 }).lean<Bureau>();
    if (!bureau) throw new NotFoundError();
    const query = typeof req.query.lang === 'string' ? `?lang=${encodeURIComponent(req.query.lang)}` : '';
    res.redirect(302, `/b/${bureau.slug}/s/${survey.slug}${query}`);
  };

  /** GET /embed/b/:bureau/s/:survey: the only page other sites may frame; its button opens the survey in a new tab. */
  const embed: RequestHandler = async (req, res) => {
    const { bureau, survey, status } = await findPublishedSurvey(deps.directory, req);
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
      href: `/b/${bureau.slug}/s/${survey.slug}?lang=${locale}`,
    }, { layout: 'embed', locale });
  };

  return { shortLink, embed };
}
