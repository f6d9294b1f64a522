/** The results dashboard of a survey for its bureau's analysts and managers and for planners granted it. */
import type { Request, RequestHandler, Response } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import { CHANNELS } from '../../models/response.model.js';
import { OTHER_OPTION_ID } from '../../models/survey-definition.types.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Survey } from '../../models/survey.model.js';
import type { Tally } from '../../models/tally.model.js';
import { isBureauStaff } from '../../services/accounts/access.js';
import { filterQuery, isFiltered, readFilter, readRankCount, scalarField, FilterError, type DashboardFilter } from '../../services/dashboards/dashboard-filter.js';
import { DashboardService } from '../../services/dashboards/dashboard.service.js';
import { wordCounts } from '../../services/dashboards/statistics.js';
import type { QuestionResult } from '../../services/dashboards/question-results.js';
import type { ResultsService } from '../../services/results/results.service.js';
import { integrityReport, REFUSAL_REASONS } from '../../services/voting/integrity-report.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import type { VoteWatch } from '../../services/voting/vote-watch.js';
import { filterStatement } from '../shared/filter-statement.js';
import { resultsViewModel } from '../shared/results.view-model.js';
import { crossTabViewModel } from './cross-tab.view-model.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderStaffPage, staffUser } from './staff-pages.js';

const TEXT_PAGE_SIZE = 20;
/** Deeper pages would make a text page hold too many answers; a search or a filter reaches older ones. */
const MAX_TEXT_PAGE = 500;
/** The dashboard's own query fields besides the filter: the cross-tab's questions and how a ranking counts. */
const CROSS_TAB_FIELDS = ['rows', 'cols', 'rank'];
/** How often the page of a survey whose responses are being read reloads itself. */
const PREPARING_RELOAD_SECONDS = 5;

/** Respondents who chose "other" (a ranking: who ranked it at all). */
function otherCount(result: QuestionResult): number {
  if (result.kind === 'ranking') return result.items.find((item) => item.id === OTHER_OPTION_ID)?.mentions ?? 0;
  return 'rows' in result ? result.rows.find((row) => row.id === OTHER_OPTION_ID)?.count ?? 0 : 0;
}

export function dashboardController(deps: { directory: SurveyDirectory; results: ResultsService; views: ViewRenderer; i18n: I18n; voteWatch: VoteWatch }) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);

  async function loadSurvey(req: Request, res: Response): Promise<Survey> {
    const slug = String(req.params.survey);
    // From the survey directory's cache (edits refresh it): the dashboard's pages are read far more than surveys change.
    const survey = /^[a-z0-9-]{1,60}$/.test(slug) ? (await deps.directory.find(currentBureau(res).slug, slug))?.survey : null;
    if (!survey || (survey.status === 'draft' && !isBureauStaff(staffUser(res), currentBureau(res)))) throw new NotFoundError();
    return survey;
  }

  /** The vote checks: counted and refused per reason from the tally, bursts and repeated texts from this process. */
  function integrityPanel(res: Response, survey: Survey, counters: Parameters<typeof integrityReport>[0]) {
    const report = integrityReport(counters, deps.voteWatch.report(String(survey._id)));
    const bureau = currentBureau(res);
    const minute = new Intl.DateTimeFormat(res.locals.locale as Locale, { hour: '2-digit', minute: '2-digit', timeZone: bureau.timezone });
    return {
      rows: [
        { label: t(res, 'dashboard.accepted'), count: report.counted },
        ...REFUSAL_REASONS.map((reason) => ({ label: t(res, `dashboard.${reason}`), count: report.refused[reason] })),
        { label: t(res, 'dashboard.refused'), count: report.refusedAddressGroups },
      ],
      minutesCaption: t(res, 'dashboard.busiestMinutes', { timezone: bureau.timezone }),
      minutes: report.watch.busiestMinutes.map((m) => ({ label: minute.format(new Date(m.minute)), votes: m.votes })),
      groups: report.watch.busiestGroups,
      repeatedTexts: t(res, 'dashboard.repeatedTexts', { count: report.watch.repeatedTexts }),
      textsTruncated: report.watch.textsTruncated,
      topTexts: report.watch.topTexts,
      invitationAdvice: survey.settings.votePolicy === 'invitation' ? null : t(res, 'dashboard.invitationAdvice'),
    };
  }

  const filterFields = (filter: DashboardFilter) => [...filterQuery(filter).entries()].map(([name, value]) => ({ name, value }));

  /** Answer filters wait for a big survey's first read: 202 with its progress, reloading itself, instead of a page that hangs for minutes. */
  function renderPreparing(res: Response, survey: Survey, bureau: Bureau, progress: { read: number; total: number }): void {
    const locale = res.locals.locale as Locale;
    const number = (n: number) => n.toLocaleString(locale);
    const percent = progress.total > 0 ? Math.floor((progress.read / progress.total) * 100) : 0;
    const base = `/staff/b/${bureau.slug}/surveys/${survey.slug}`;
    renderStaffPage(deps.views, res, 'pages/staff/dashboard-preparing', {
      pageTitle: t(res, 'preparing.title'),
      bureauNav: bureauNav(res, 'surveys', (key) => t(res, key)),
      surveyTitle: survey.title[locale],
      surveyHref: base,
      lead: t(res, 'preparing.lead', { total: number(progress.total) }),
      read: progress.read,
      total: progress.total,
      percent,
      // FerretDB reads the whole collection for one survey's responses: the last of them may come long before the end.
      progressText: progress.total > 0 && progress.read >= progress.total ? t(res, 'preparing.finishing', { total: number(progress.total) }) : t(res, 'preparing.progress', { read: number(progress.read), total: number(progress.total), percent }),
      reloadText: t(res, 'preparing.reload', { seconds: PREPARING_RELOAD_SECONDS }),
      refreshSeconds: PREPARING_RELOAD_SECONDS,
      unfilteredHref: `${base}/results`,
    }, 202);
  }

  const results: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const locale = res.locals.locale as Locale;
    const query = req.query as Record<string, unknown>;
    const filter = readFilter(query, survey.questions, bureau, CROSS_TAB_FIELDS);
    const rank = readRankCount(query);
    const rowsId = scalarField(query, 'rows');
    const colsId = scalarField(query, 'cols');
    if ((rowsId === undefined) !== (colsId === undefined)) throw new FilterError(rowsId === undefined ? 'rows' : 'cols', 'a cross-tab needs both "rows" and "cols".');
    let tally: Tally | undefined;
    if (filter.answer || (rowsId && colsId)) {
      const passes = await deps.results.preparePasses(survey);
      if (!passes.ready) return renderPreparing(res, survey, bureau, passes);
      tally = passes.tally;
    }
    const found = await deps.results.results({ survey, bureau, filter, view: 'staff', tally });
    const table = rowsId && colsId ? await deps.results.crossTab({ survey, bureau, filter, rows: rowsId, cols: colsId, rank, view: 'staff', basis: { byDay: found.overallByDay, total: found.overallTotal } }) : null;
    const base = `/staff/b/${bureau.slug}/surveys/${survey.slug}`;
    const queryString = filterQuery(filter).toString();
    const choices = deps.results.crossTabChoices(survey);
    const rowsSelected = rowsId ?? choices.rows;
    const colsSelected = colsId ?? choices.cols;
    renderStaffPage(deps.views, res, 'pages/staff/dashboard', {
      pageTitle: t(res, 'dashboard.title', { title: survey.title[locale] }),
      bureauNav: bureauNav(res, 'surveys', (key) => t(res, key)),
      surveyTitle: survey.title[locale],
      surveyHref: base,
      action: `${base}/results`,
      filter,
      filtered: found.filtered,
      filteredText: found.filtered ? t(res, 'dashboard.filtered', { count: found.total, total: found.overallTotal }) : null,
      smallCell: found.smallCell ? t(res, 'results.smallCell', { threshold: found.smallCellThreshold }) : null,
      districts: bureau.districts.map((d) => ({ value: d.id, label: d.name[locale], selected: filter.district === d.id })),
      channels: CHANNELS.map((c) => ({ value: c, label: t(res, `channelName.${c}`), selected: filter.channel === c })),
      answerGroups: deps.results.answerChoices(survey, bureau).map(({ question, answers }) => ({
        label: question.title[locale],
        options: answers.map((answer) => ({ value: `${question.id}:${answer.id}`, label: answer.label[locale], selected: filter.answer?.question === question.id && filter.answer.value === answer.id })),
      })),
      total: found.total,
      today: found.byDay[DashboardService.today(bureau)] ?? 0,
      byChannel: CHANNELS.map((c) => ({ label: t(res, `channelName.${c}`), count: found.byChannel[c] ?? 0 })),
      integrity: integrityPanel(res, survey, found.integrity),
      overTimeTitle: t(res, 'dashboard.overTime', { timezone: bureau.timezone }),
      overTime: DashboardService.overTime(found.byDay),
      questions: resultsViewModel(found.questions, deps.i18n, locale, found.smallCellThreshold),
      textQuestions: found.questions.filter((q) => q.kind === 'text').map((q) => ({
        href: `${base}/results/text/${q.question.id}${queryString ? `?${queryString}` : ''}`,
        label: t(res, 'dashboard.readTexts', { count: q.answered, question: q.question.title[locale] }),
      })).concat(found.questions.filter((q) => 'other' in q.question && q.question.other === true).map((q) => ({
        href: `${base}/results/text/${q.question.id}${queryString ? `?${queryString}` : ''}`,
        label: t(res, 'exports.other.link', { count: otherCount(q), question: q.question.title[locale] }),
      }))),
      filterFields: filterFields(filter),
      crossTabQuestions: choices.questions.map((q) => ({ value: q.id, label: q.title[locale], rowSelected: q.id === rowsSelected, colSelected: q.id === colsSelected })),
      rankChoices: (['first', 'any'] as const).map((value) => ({ value, label: t(res, value === 'first' ? 'crossTab.rankFirst' : 'crossTab.rankAny'), selected: rank === value })),
      crossTab: table ? crossTabViewModel(table, deps.i18n, locale) : null,
      exports: [
        { href: `${base}/report${queryString ? `?${queryString}` : ''}`, label: t(res, 'dashboard.report') },
        { href: `${base}/export${queryString ? `?${queryString}` : ''}`, label: t(res, 'exports.page.link') },
      ],
      scripts: ['/static/vendor/chart.umd.min.js', '/static/js/results-charts.js'],
    });
  };

  const texts: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const locale = res.locals.locale as Locale;
    // A free-text question, or the "other, please specify" texts of a choice question.
    const question = survey.questions.find((q) => q.id === req.params.question && (q.type === 'text' || ('other' in q && q.other === true)));
    if (!question) throw new NotFoundError();
    const source = question.type === 'text' ? 'answers' : 'otherText';
    const heading = source === 'answers' ? question.title[locale] : t(res, 'exports.other.title', { question: question.title[locale] });
    const filter = readFilter(req.query as Record<string, unknown>, survey.questions, bureau, ['page', 'search']);
    const page = Math.max(1, Math.min(MAX_TEXT_PAGE, Number.parseInt(String(req.query.page ?? '1'), 10) || 1));
    const search = typeof req.query.search === 'string' ? req.query.search.trim().slice(0, 100) : '';
    const found = await deps.results.texts(survey, filter, question.id, { page, pageSize: TEXT_PAGE_SIZE, search: search || undefined, source });
    const base = `/staff/b/${bureau.slug}/surveys/${survey.slug}`;
    const link = (p: number) => {
      const params = filterQuery(filter);
      if (search) params.set('search', search);
      params.set('page', String(p));
      return `${base}/results/text/${question.id}?${params.toString()}`;
    };
    const districtName = (id: string | null) => (id ? bureau.districts.find((d) => d.id === id)?.name[locale] ?? id : null);
    renderStaffPage(deps.views, res, 'pages/staff/dashboard-texts', {
      pageTitle: heading,
      bureauNav: bureauNav(res, 'surveys', (key) => t(res, key)),
      backHref: `${base}/results${isFiltered(filter) ? `?${filterQuery(filter).toString()}` : ''}`,
      questionTitle: heading,
      action: `${base}/results/text/${question.id}`,
      filterFields: filterFields(filter),
      search,
      countText: t(res, source === 'answers' ? 'dashboard.newestFirst' : 'exports.other.count', { count: found.matching }),
      items: found.items.map((item) => ({ text: item.text, day: item.day, district: districtName(item.district) })),
      previousHref: page > 1 ? link(page - 1) : null,
      nextHref: page * TEXT_PAGE_SIZE < found.matching && page < MAX_TEXT_PAGE ? link(page + 1) : null,
      wordsTitle: found.matching > found.sample.length ? t(res, 'dashboard.wordCountsSample', { count: found.sample.length }) : t(res, 'dashboard.wordCounts'),
      words: wordCounts(found.sample.map((item) => item.text), 30),
    });
  };

  /** A print-friendly report: the charts and tables of the results, with the filters stated. */
  const report: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const locale = res.locals.locale as Locale;
    const filter = readFilter(req.query as Record<string, unknown>, survey.questions, bureau);
    const found = await deps.results.results({ survey, bureau, filter, view: 'staff' });
    const described = filterStatement(deps.results.describeFilter(survey, bureau, filter), deps.i18n, locale);
    renderStaffPage(deps.views, res, 'pages/staff/report', {
      pageTitle: t(res, 'dashboard.title', { title: survey.title[locale] }),
      bureauName: bureau.name[locale],
      surveyTitle: survey.title[locale],
      total: found.total,
      generated: new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: bureau.timezone }).format(new Date()),
      filterState: t(res, 'dashboard.filterState', { filters: described ?? t(res, 'dashboard.noFilters') }),
      smallCell: found.smallCell ? t(res, 'results.smallCell', { threshold: found.smallCellThreshold }) : null,
      overTimeTitle: t(res, 'dashboard.overTime', { timezone: bureau.timezone }),
      overTime: DashboardService.overTime(found.byDay),
      questions: resultsViewModel(found.questions, deps.i18n, locale, found.smallCellThreshold),
      scripts: ['/static/vendor/chart.umd.min.js', '/static/js/results-charts.js'],
    }, 200, 'report');
  };

  return { results, texts, report };
}
