/**
 * The export page of a survey and its files: responses as labelled CSV, coded CSV with SPSS syntax, an Excel
 * workbook, JSON, and the results table. Every file follows the dashboard's filter and states it.
 */
import type { Request, RequestHandler, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../../errors/index.js';
import { isLocale, type I18n, type Locale } from '../../i18n/i18n.js';
import type { Survey } from '../../models/survey.model.js';
import { isBureauStaff } from '../../services/accounts/access.js';
import { filterQuery, isFiltered, readFilter } from '../../services/dashboards/dashboard-filter.js';
import { Exporter, type ExportContext } from '../../services/dashboards/exports.js';
import type { ResultsService } from '../../services/results/results.service.js';
import { filterFileTag } from '../../services/exports/filter-statement.js';
import type { AuditLog } from '../../services/audit/audit-log.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderStaffPage, staffUser } from './staff-pages.js';

/** From this many rows on, the page says the download takes a while and shows its progress. */
export const LARGE_EXPORT_ROWS = 50_000;

const FILES = ['responses.csv', 'responses-codes.csv', 'responses.sps', 'responses.xlsx', 'responses.json', 'results.csv', 'results.json'] as const;
type ExportFile = (typeof FILES)[number];

export function exportsController(deps: { directory: SurveyDirectory; results: ResultsService; exporter: Exporter; audit: AuditLog; views: ViewRenderer; i18n: I18n }) {
  const t = (locale: Locale, key: string, params?: Record<string, unknown>) => deps.i18n.translate(locale, key, params);

  async function loadSurvey(req: Request, res: Response): Promise<Survey> {
    const slug = String(req.params.survey);
    const survey = /^[a-z0-9-]{1,60}$/.test(slug) ? (await deps.directory.find(currentBureau(res).slug, slug))?.survey : null;
    if (!survey || (survey.status === 'draft' && !isBureauStaff(staffUser(res), currentBureau(res)))) throw new NotFoundError();
    return survey;
  }

  /** The survey, its filter (the dashboard's, from the URL) and the language of labels (`lang`, else the page's). */
  async function context(req: Request, res: Response): Promise<ExportContext> {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    // `lang` chooses the labels; it is not a filter, so the filter never sees it.
    const { lang, ...query } = req.query as Record<string, unknown>;
    const locale = isLocale(lang) ? lang : (res.locals.locale as Locale);
    return { survey, bureau, filter: readFilter(query, survey.questions, bureau), locale };
  }

  const exportedAt = (ctx: ExportContext) => new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'long', timeStyle: 'long', timeZone: ctx.bureau.timezone }).format(new Date());

  const fileName = (ctx: ExportContext, file: ExportFile) => {
    const tag = filterFileTag(ctx.filter);
    return `${ctx.survey.slug}${tag ? `-${tag}` : ''}-${file}`;
  };

  const linkQuery = (ctx: ExportContext) => {
    const params = filterQuery(ctx.filter);
    params.set('lang', ctx.locale);
    return params.toString();
  };

  /** GET …/export: what an export of this view holds, and the files. */
  const page: RequestHandler = async (req, res) => {
    const ctx = await context(req, res);
    const pageLocale = res.locals.locale as Locale;
    const counts = await deps.results.results({ survey: ctx.survey, bureau: ctx.bureau, filter: ctx.filter, view: 'staff' });
    const base = `/staff/b/${currentBureau(res).slug}/surveys/${ctx.survey.slug}`;
    const href = (file: ExportFile) => `${base}/export/${file}?${linkQuery(ctx)}`;
    const filters = deps.exporter.filterText(ctx);
    renderStaffPage(deps.views, res, 'pages/staff/exports', {
      pageTitle: t(pageLocale, 'exports.page.title', { title: ctx.survey.title[pageLocale] }),
      bureauNav: bureauNav(res, 'surveys', (key) => t(pageLocale, key)),
      surveyTitle: ctx.survey.title[pageLocale],
      backHref: `${base}/results${isFiltered(ctx.filter) ? `?${filterQuery(ctx.filter).toString()}` : ''}`,
      action: `${base}/export`,
      filterFields: [...filterQuery(ctx.filter).entries()].map(([name, value]) => ({ name, value })),
      languages: (['zh-CN', 'en'] as const).map((l) => ({ value: l, label: l === 'en' ? 'English' : '中文', selected: l === ctx.locale })),
      rowsText: t(pageLocale, 'exports.page.rows', { count: counts.total }),
      filterText: filters.length > 0 ? t(pageLocale, 'exports.page.filtered', { filters: filters.join('; ') }) : null,
      largeText: counts.total >= LARGE_EXPORT_ROWS ? t(pageLocale, 'exports.page.large', { count: counts.total }) : null,
      responseFiles: [
        { href: href('responses.xlsx'), label: t(pageLocale, 'exports.page.xlsx'), file: fileName(ctx, 'responses.xlsx') },
        { href: href('responses.csv'), label: t(pageLocale, 'exports.page.labelsCsv'), file: fileName(ctx, 'responses.csv') },
        { href: href('responses-codes.csv'), label: t(pageLocale, 'exports.page.codesCsv'), file: fileName(ctx, 'responses-codes.csv') },
        { href: href('responses.sps'), label: t(pageLocale, 'exports.page.spss'), file: fileName(ctx, 'responses.sps') },
        { href: href('responses.json'), label: 'JSON', file: fileName(ctx, 'responses.json') },
      ],
      spssHint: t(pageLocale, 'exports.page.spssHint'),
      resultFiles: [
        { href: href('results.csv'), label: t(pageLocale, 'exports.page.resultsCsv'), file: fileName(ctx, 'results.csv') },
        { href: href('results.json'), label: t(pageLocale, 'exports.page.resultsJson'), file: fileName(ctx, 'results.json') },
      ],
    });
  };

  /** GET …/export/:file: streamed where it lists responses; the filter applies and every file says so. */
  const file: RequestHandler = async (req, res) => {
    const name = String(req.params.file) as ExportFile;
    if (!FILES.includes(name)) throw new NotFoundError();
    const ctx = await context(req, res);
    await deps.audit.record({ actor: staffUser(res), action: 'export', bureau: currentBureau(res)._id, target: { kind: 'survey', id: String(ctx.survey._id), label: ctx.survey.slug }, details: { file: name, filter: ctx.filter, locale: ctx.locale } });
    res.setHeader('Content-Disposition', `attachment; filename="${fileName(ctx, name)}"`);
    switch (name) {
      case 'responses.csv':
      case 'responses-codes.csv':
        res.type('text/csv; charset=utf-8');
        return pipeline(deps.exporter.responsesCsv(ctx, name === 'responses.csv' ? 'labels' : 'codes'), res);
      case 'responses.json':
        res.type('application/json; charset=utf-8');
        return pipeline(deps.exporter.responsesJson(ctx), res);
      case 'responses.sps':
        res.type('text/plain; charset=utf-8');
        res.send(deps.exporter.spssSyntax(ctx, fileName(ctx, 'responses-codes.csv'), exportedAt(ctx)));
        return;
      case 'responses.xlsx':
        res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        await deps.exporter.responsesXlsx(ctx, exportedAt(ctx), res);
        return;
      default: {
        const computed = await deps.results.results({ survey: ctx.survey, bureau: ctx.bureau, filter: ctx.filter, view: 'staff' });
        if (name === 'results.csv') {
          res.type('text/csv; charset=utf-8');
          res.send(deps.exporter.resultsCsv(ctx, computed.questions, computed.smallCellThreshold));
        } else {
          res.type('application/json; charset=utf-8');
          res.send(JSON.stringify({ survey: ctx.survey.slug, filter: ctx.filter, filterText: deps.exporter.filterText(ctx), total: computed.total, rows: Exporter.resultsRows(computed.questions) }, null, 2));
        }
      }
    }
  };

  return { page, file };
}
