/** GET /b/:bureau/s/:survey/results: the public results of a survey whose settings publish them; no free text. */
import type { RequestHandler } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n } from '../../i18n/i18n.js';
import { readFilter } from '../../services/dashboards/dashboard-filter.js';
import type { ResultsService } from '../../services/results/results.service.js';
import { integrityStatement, REFUSAL_REASONS } from '../../services/voting/integrity-report.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import { filterStatement } from '../shared/filter-statement.js';
import { renderPage } from '../shared/render-page.js';
import { resultsViewModel } from '../shared/results.view-model.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { findAnnouncedSurvey, formatDateTime, pageLocale, publicResultsHref } from './resident-pages.js';

/**
 * What messaging apps add to a shared link (WeChat: from=singlemessage&isappinstalled=0; utm_* tags): not a
 * filter, and a resident who taps the link must see the results, not a 400.
 */
const SHARE_MARKERS = new Set(['singlemessage', 'groupmessage', 'timeline']);
function withoutShareTags(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([name, value]) => !(name === 'isappinstalled' || name.startsWith('utm_') || (name === 'from' && typeof value === 'string' && SHARE_MARKERS.has(value)))));
}

export function publicResultsController(deps: { directory: SurveyDirectory; results: ResultsService; views: ViewRenderer; i18n: I18n }): RequestHandler {
  return async (req, res) => {
    const { bureau, survey, status } = await findAnnouncedSurvey(deps.directory, req);
    const policy = survey.settings.publicResults;
    if (policy !== 'always' && policy !== 'after-close') throw new NotFoundError();
    const locale = pageLocale(res, survey.defaultLocale);
    if (status === 'scheduled' || !publicResultsHref(bureau, survey, status)) {
      // Results come later: say when, rather than a 404 that reads as "deleted".
      const when = survey.closesAt ? formatDateTime(survey.closesAt, locale, bureau.timezone) : null;
      const key = policy === 'always' ? 'results.pendingOpen' : when ? 'results.pendingClose' : 'results.pendingCloseUndated';
      return renderPage(deps.views, res, 'pages/resident/results-pending', {
        pageTitle: deps.i18n.translate(locale, 'results.title', { title: survey.title[locale] }),
        bureau: { name: bureau.name[locale], href: `/b/${bureau.slug}` },
        title: survey.title[locale],
        when: deps.i18n.translate(locale, key, { date: when ?? '', opens: survey.opensAt ? formatDateTime(survey.opensAt, locale, bureau.timezone) : '' }),
        surveyHref: status === 'open' ? `/b/${bureau.slug}/s/${survey.slug}` : null,
      }, { locale });
    }
    const filter = readFilter(withoutShareTags(req.query as Record<string, unknown>), survey.questions, bureau);
    const results = await deps.results.results({ survey, bureau, filter, view: 'public' });
    // Like a returning officer's statement: how many were counted and why the rest were not, no more.
    const statement = integrityStatement(results.integrity);
    const now = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: bureau.timezone }).format(new Date());
    const filters = filterStatement(deps.results.describeFilter(survey, bureau, filter), deps.i18n, locale);
    res.setHeader('Cache-Control', 'public, max-age=60');
    renderPage(deps.views, res, 'pages/resident/results', {
      pageTitle: deps.i18n.translate(locale, 'results.title', { title: survey.title[locale] }),
      bureau: { name: bureau.name[locale], href: `/b/${bureau.slug}` },
      title: survey.title[locale],
      total: results.total,
      asOf: deps.i18n.translate(locale, 'results.asOf', { date: now }),
      filterState: filters ? deps.i18n.translate(locale, 'dashboard.filterState', { filters }) : null,
      smallCell: results.smallCell ? deps.i18n.translate(locale, 'results.smallCell', { threshold: results.smallCellThreshold }) : null,
      questions: resultsViewModel(results.questions, deps.i18n, locale, results.smallCellThreshold),
      statement: {
        counted: statement.counted,
        refused: REFUSAL_REASONS.map((reason) => ({ label: deps.i18n.translate(locale, `results.refusedReason.${reason}`), count: statement.refused[reason] })),
      },
      scripts: ['/static/vendor/chart.umd.min.js', '/static/js/results-charts.js'],
    }, { locale });
  };
}
