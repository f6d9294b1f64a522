/** The results dashboard of a survey for its bureau's analysts and managers and for planners granted it. */
import type { Request, RequestHandler, Response } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import { CHANNELS } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import { isBureauStaff } from '../../services/accounts/access.js';
import { answerValues as answerValuesOf, filterQuery, isFiltered, readFilter, type DashboardFilter } from '../../services/dashboards/dashboard-filter.js';
import { DashboardService } from '../../services/dashboards/dashboard.service.js';
import { questionResults } from '../../services/dashboards/question-results.js';
import { crossTab, smallCellProtected, wordCounts } from '../../services/dashboards/statistics.js';
import { integrityReport, REFUSAL_REASONS } from '../../services/voting/integrity-report.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import type { VoteWatch } from '../../services/voting/vote-watch.js';
import { formatShare, resultsViewModel } from '../shared/results.view-model.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderStaffPage, staffUser } from './staff-pages.js';

const TEXT_PAGE_SIZE = 20;
/** Deeper pages would make a text page hold too many answers; a search or a filter reaches older ones. */
const MAX_TEXT_PAGE = 500;
const CROSS_TAB_TYPES = new Set(['single', 'multiple', 'yes-no', 'rating', 'district', 'ranking']);

export function dashboardController(deps: { directory: SurveyDirectory; dashboards: DashboardService; views: ViewRenderer; i18n: I18n; smallCellMin: number; voteWatch: VoteWatch }) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);

  async function loadSurvey(req: Request, res: Response): Promise<Survey> {
    const slug = String(req.params.survey);
    // From the survey directory's cache (edits refresh it): the dashboard's pages are read far more than surveys change.
    const survey = /^[a-z0-9-]{1,60}$/.test(slug) ? (await deps.directory.find(currentBureau(res).slug, slug))?.survey : null;
    if (!survey || (survey.status === 'draft' && !isBureauStaff(staffUser(res), currentBureau(res)))) throw new NotFoundError();
    return survey;
  }

  /** The label of an answer value of a question, in the page language. */
  function answerLabel(res: Response, question: Question, value: string): string {
    const locale = res.locals.locale as Locale;
    if (value === OTHER_OPTION_ID) return locale === 'en' ? 'Other' : '其他';
    if ('options' in question) return question.options.find((o) => o.id === value)?.label[locale] ?? value;
    if (question.type === 'district') return currentBureau(res).districts.find((d) => d.id === value)?.name[locale] ?? value;
    if (question.type === 'yes-no') return t(res, value === 'yes' ? 'survey.yes' : 'survey.no');
    return value;
  }

  const answerValues = (res: Response, question: Question) => answerValuesOf(question, currentBureau(res));

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

  const results: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const locale = res.locals.locale as Locale;
    const filter = readFilter(req.query as Record<string, unknown>, survey.questions, bureau);
    const { counts, overall, integrity } = await deps.dashboards.numbers(survey, filter);
    const base = `/staff/b/${bureau.slug}/surveys/${survey.slug}`;
    const query = filterQuery(filter).toString();
    const choiceQuestions = survey.questions.filter((q) => CROSS_TAB_TYPES.has(q.type));
    const rowsQuestion = choiceQuestions.find((q) => q.id === req.query.rows);
    const colsQuestion = choiceQuestions.find((q) => q.id === req.query.cols);
    let crossTabModel = null;
    if (rowsQuestion && colsQuestion) {
      const cells = await deps.dashboards.crossTab(survey, filter, rowsQuestion, colsQuestion);
      const rowIds = answerValues(res, rowsQuestion);
      const columnIds = answerValues(res, colsQuestion);
      const table = crossTab(cells, rowIds, columnIds);
      const hide = smallCellProtected(table.total, deps.smallCellMin);
      crossTabModel = {
        caption: `${rowsQuestion.title[locale]} × ${colsQuestion.title[locale]}`,
        columns: columnIds.map((id) => answerLabel(res, colsQuestion, id)),
        // A row of a handful of people shows counts only, like any small cell.
        rows: table.rows.map((row) => {
          const hideRow = hide || smallCellProtected(row.total, deps.smallCellMin);
          return { label: answerLabel(res, rowsQuestion, row.id), total: row.total, cells: row.cells.map((cell) => ({ count: cell.count, share: formatShare(hideRow ? null : cell.rowShare, locale) })) };
        }),
      };
    }
    renderStaffPage(deps.views, res, 'pages/staff/dashboard', {
      pageTitle: t(res, 'dashboard.title', { title: survey.title[locale] }),
      bureauNav: bureauNav(res, 'surveys', (key) => t(res, key)),
      surveyTitle: survey.title[locale],
      surveyHref: base,
      action: `${base}/results`,
      filter,
      filtered: isFiltered(filter),
      filteredText: isFiltered(filter) ? t(res, 'dashboard.filtered', { count: counts.total, total: overall.total }) : null,
      smallCell: smallCellProtected(counts.total, deps.smallCellMin) ? t(res, 'results.smallCell', { threshold: deps.smallCellMin }) : null,
      districts: bureau.districts.map((d) => ({ value: d.id, label: d.name[locale], selected: filter.district === d.id })),
      channels: CHANNELS.map((c) => ({ value: c, label: t(res, `channelName.${c}`), selected: filter.channel === c })),
      answerGroups: choiceQuestions.filter((q) => q.type !== 'ranking').map((q) => ({
        label: q.title[locale],
        options: answerValues(res, q).map((value) => ({ value: `${q.id}:${value}`, label: `${answerLabel(res, q, value)}`, selected: filter.answer?.question === q.id && filter.answer.value === value })),
      })),
      total: counts.total,
      today: counts.byDay[DashboardService.today(bureau)] ?? 0,
      byChannel: CHANNELS.map((c) => ({ label: t(res, `channelName.${c}`), count: counts.byChannel[c] ?? 0 })),
      integrity: integrityPanel(res, survey, integrity),
      overTimeTitle: t(res, 'dashboard.overTime', { timezone: bureau.timezone }),
      overTime: DashboardService.overTime(counts.byDay),
      questions: resultsViewModel(questionResults({ questions: survey.questions, bureau, total: counts.total, tallies: counts.questions, smallCellThreshold: deps.smallCellMin }), deps.i18n, locale),
      textQuestions: survey.questions.filter((q) => q.type === 'text').map((q) => ({
        href: `${base}/results/text/${q.id}${query ? `?${query}` : ''}`,
        label: t(res, 'dashboard.readTexts', { count: counts.questions[q.id]?.answered ?? 0, question: q.title[locale] }),
      })).concat(survey.questions.filter((q) => 'other' in q && q.other === true).map((q) => ({
        href: `${base}/results/text/${q.id}${query ? `?${query}` : ''}`,
        label: t(res, 'exports.other.link', { count: counts.questions[q.id]?.options[OTHER_OPTION_ID] ?? 0, question: q.title[locale] }),
      }))),
      filterFields: filterFields(filter),
      crossTabQuestions: choiceQuestions.map((q) => ({ value: q.id, label: q.title[locale], rowSelected: q.id === rowsQuestion?.id, colSelected: q.id === colsQuestion?.id })),
      crossTab: crossTabModel,
      exports: [
        { href: `${base}/report${query ? `?${query}` : ''}`, label: t(res, 'dashboard.report') },
        { href: `${base}/export${query ? `?${query}` : ''}`, label: t(res, 'exports.page.link') },
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
    const filter = readFilter(req.query as Record<string, unknown>, survey.questions, bureau);
    const page = Math.max(1, Math.min(MAX_TEXT_PAGE, Number.parseInt(String(req.query.page ?? '1'), 10) || 1));
    const search = typeof req.query.search === 'string' ? req.query.search.trim().slice(0, 100) : '';
    const found = await deps.dashboards.texts(survey, filter, question.id, { page, pageSize: TEXT_PAGE_SIZE, search: search || undefined, source });
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
    const counts = await deps.dashboards.counts(survey, filter);
    const described = [
      filter.from ? `${t(res, 'dashboard.from')} ${filter.from}` : null,
      filter.to ? `${t(res, 'dashboard.to')} ${filter.to}` : null,
      filter.district ? `${t(res, 'dashboard.district')}: ${bureau.districts.find((d) => d.id === filter.district)?.name[locale] ?? filter.district}` : null,
      filter.channel ? `${t(res, 'dashboard.channel')}: ${t(res, `channelName.${filter.channel}`)}` : null,
      filter.answer ? (() => {
        const question = survey.questions.find((q) => q.id === filter.answer!.question)!;
        return `${t(res, 'dashboard.answer')}: ${question.title[locale]} = ${answerLabel(res, question, filter.answer.value)}`;
      })() : null,
    ].filter(Boolean);
    renderStaffPage(deps.views, res, 'pages/staff/report', {
      pageTitle: t(res, 'dashboard.title', { title: survey.title[locale] }),
      bureauName: bureau.name[locale],
      surveyTitle: survey.title[locale],
      total: counts.total,
      generated: new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: bureau.timezone }).format(new Date()),
      filterState: t(res, 'dashboard.filterState', { filters: described.length > 0 ? described.join('; ') : t(res, 'dashboard.noFilters') }),
      smallCell: smallCellProtected(counts.total, deps.smallCellMin) ? t(res, 'results.smallCell', { threshold: deps.smallCellMin }) : null,
      overTimeTitle: t(res, 'dashboard.overTime', { timezone: bureau.timezone }),
      overTime: DashboardService.overTime(counts.byDay),
      questions: resultsViewModel(questionResults({ questions: survey.questions, bureau, total: counts.total, tallies: counts.questions, smallCellThreshold: deps.smallCellMin }), deps.i18n, locale),
      scripts: ['/static/vendor/chart.umd.min.js', '/static/js/results-charts.js'],
    }, 200, 'report');
  };

  return { results, texts, report };
}
