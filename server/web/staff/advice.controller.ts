/**
 * The bureau's advice cases in the workspace: the queue with its filters, one case (assign, status, reply,
 * notes, moderation), the advice settings, exports, and the one-time satisfaction codes for cases handled
 * outside Minyi. Managers and analysts of the bureau act; planners read; settings are the managers'.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Container } from '../../container.js';
import { ConflictError, ValidationError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import { ADVICE_STATUSES } from '../../models/advice.model.js';
import type { Bureau } from '../../models/bureau.model.js';
import { canManage, isBureauStaff } from '../../services/accounts/access.js';
import { readCaseFilter, type AdviceCases, type CaseFilter } from '../../services/advice/advice-cases.service.js';
import { CSV_BOM, csvLine } from '../../services/dashboards/exports.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, loadBureau, renderStaffPage, staffUser } from './staff-pages.js';

export function adviceStaffController(deps: { cases: AdviceCases; views: ViewRenderer; i18n: I18n; publicUrl: string; invalidateBureaus: () => void }) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);
  const name = (res: Response, value: { 'zh-CN': string; en: string }) => value[res.locals.locale as Locale] || value['zh-CN'];
  const str = (value: unknown) => (typeof value === 'string' ? value : '');
  const base = (bureau: Bureau) => `/staff/b/${bureau.slug}/advice`;
  const formatter = (res: Response, bureau: Bureau) => new Intl.DateTimeFormat(res.locals.locale as Locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: bureau.timezone });
  const dayFormatter = (res: Response, bureau: Bureau) => new Intl.DateTimeFormat(res.locals.locale as Locale, { dateStyle: 'medium', timeZone: bureau.timezone });
  const canAct = (res: Response) => isBureauStaff(staffUser(res), currentBureau(res));
  const labels = (res: Response, bureau: Bureau) => ({
    category: new Map(bureau.adviceCategories.map((c) => [c.id, name(res, c.name)])),
    district: new Map(bureau.districts.map((d) => [d.id, name(res, d.name)])),
  });
  const filterQuery = (filter: CaseFilter) => {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.category) query.set('category', filter.category);
    if (filter.district) query.set('district', filter.district);
    if (filter.overdue) query.set('overdue', '1');
    if (filter.search) query.set('q', filter.search);
    return query;
  };

  const list: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const filter = readCaseFilter(req.query as Record<string, unknown>);
    const page = Math.max(1, Math.min(10_000, Number.parseInt(str(req.query.page), 10) || 1));
    const { cases, hasMore, total } = await deps.cases.list(bureau, filter, page);
    const { category, district } = labels(res, bureau);
    const format = formatter(res, bureau);
    const day = dayFormatter(res, bureau);
    const pageHref = (p: number) => {
      const query = filterQuery(filter);
      if (p > 1) query.set('page', String(p));
      const q = query.toString();
      return q ? `${base(bureau)}?${q}` : base(bureau);
    };
    const exportQuery = filterQuery(filter).toString();
    renderStaffPage(deps.views, res, 'pages/staff/advice/cases', {
      pageTitle: t(res, 'staff.advice.title'),
      bureauNav: bureauNav(res, 'advice', (key) => t(res, key)),
      here: base(bureau),
      total,
      filter: { ...filter, search: filter.search ?? '' },
      filtered: Object.keys(filter).length > 0,
      statuses: ADVICE_STATUSES.map((s) => ({ value: s, label: t(res, `advice.status.${s}`), selected: s === filter.status })),
      categories: bureau.adviceCategories.map((c) => ({ value: c.id, label: name(res, c.name), selected: c.id === filter.category })),
      districts: bureau.districts.map((d) => ({ value: d.id, label: name(res, d.name), selected: d.id === filter.district })),
      cases: cases.map((c) => ({
        ...c,
        href: `${base(bureau)}/${c.id}`,
        category: category.get(c.category) ?? c.category,
        district: c.district ? (district.get(c.district) ?? c.district) : '—',
        statusLabel: t(res, `advice.status.${c.status}`),
        received: format.format(c.receivedAt),
        due: day.format(c.dueAt),
        assignee: c.assignee ?? '—',
      })),
      csvHref: `${base(bureau)}/export.csv${exportQuery ? `?${exportQuery}` : ''}`,
      xlsxHref: `${base(bureau)}/export.xlsx${exportQuery ? `?${exportQuery}` : ''}`,
      settingsHref: `${base(bureau)}/settings`,
      satisfactionHref: `${base(bureau)}/satisfaction`,
      mayAct: canAct(res),
      mayManage: canManage(staffUser(res), bureau),
      noCategories: bureau.adviceCategories.length === 0,
      publicHref: `/b/${bureau.slug}/advice`,
      newerHref: page > 1 ? pageHref(page - 1) : null,
      olderHref: hasMore ? pageHref(page + 1) : null,
    });
  };

  async function renderCase(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200): Promise<void> {
    const bureau = currentBureau(res);
    const detail = await deps.cases.get(bureau, String(req.params.case));
    const { category, district } = labels(res, bureau);
    const format = formatter(res, bureau);
    const here = `${base(bureau)}/${detail.id}`;
    const mayAct = canAct(res);
    renderStaffPage(deps.views, res, 'pages/staff/advice/case', {
      pageTitle: t(res, 'staff.advice.caseTitle', { ref: detail.ref }),
      bureauNav: bureauNav(res, 'advice', (key) => t(res, key)),
      back: base(bureau),
      here,
      mayAct,
      c: {
        ...detail,
        category: category.get(detail.category) ?? detail.category,
        district: detail.district ? (district.get(detail.district) ?? detail.district) : '—',
        statusLabel: t(res, `advice.status.${detail.status}`),
        received: format.format(detail.receivedAt),
        due: format.format(detail.dueAt),
        replied: detail.repliedAt ? format.format(detail.repliedAt) : null,
        satisfaction: detail.satisfaction ? t(res, `advice.rating.${detail.satisfaction}`) : null,
        notes: detail.notes.map((n) => ({ ...n, at: format.format(n.at) })),
      },
      nextStatuses: detail.nextStatuses.map((s) => ({ value: s, label: t(res, `staff.advice.moveTo.${s}`) })),
      assignees: mayAct ? (await deps.cases.assignees(bureau)).map((a) => ({ ...a, selected: a.email === detail.assignee })) : [],
      replyValue: typeof extra.replyValue === 'string' ? extra.replyValue : (detail.reply ?? ''),
      ...extra,
    }, status);
  }

  const show: RequestHandler = async (req, res) => renderCase(req, res, { flash: req.query.done === '1' ? t(res, 'staff.advice.saved') : undefined });

  /** Runs one change to a case; its own mistakes (a 409 or 422) come back on the case page, in words. */
  function change(run: (req: Request, res: Response, bureau: Bureau) => Promise<void>): RequestHandler {
    return async (req, res) => {
      const bureau = currentBureau(res);
      try {
        await run(req, res, bureau);
      } catch (error) {
        if (error instanceof ValidationError) return renderCase(req, res, { problems: error.problems.map((p) => t(res, `staff.advice.problem.${p.reason ?? 'other'}`, p.params)), replyValue: str(req.body?.reply) }, 422);
        if (error instanceof ConflictError) return renderCase(req, res, { problems: [t(res, `staff.advice.problem.${error.code}`)] }, 409);
        throw error;
      }
      res.redirect(303, `${base(bureau)}/${String(req.params.case)}?done=1`);
    };
  }

  const assign = change((req, res, bureau) => deps.cases.assign(bureau, String(req.params.case), str(req.body?.assignee), staffUser(res)));
  const setStatus = change((req, res, bureau) => deps.cases.setStatus(bureau, String(req.params.case), str(req.body?.status), staffUser(res)));
  const reply = change((req, res, bureau) => deps.cases.reply(bureau, String(req.params.case), str(req.body?.reply), staffUser(res)));
  const note = change((req, res, bureau) => deps.cases.addNote(bureau, String(req.params.case), str(req.body?.note), staffUser(res)));
  const moderate = change((req, res, bureau) => deps.cases.moderate(bureau, String(req.params.case), str(req.body?.publicApproved) === 'yes', staffUser(res)));

  const exportFile = (format: 'csv' | 'xlsx'): RequestHandler => async (req, res) => {
    const bureau = currentBureau(res);
    const file = await deps.cases.exportFile(bureau, readCaseFilter(req.query as Record<string, unknown>), format, staffUser(res));
    res.setHeader('Content-Disposition', `attachment; filename="${bureau.slug}-advice.${format}"`);
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(file);
  };

  function renderSettings(res: Response, extra: Record<string, unknown> = {}, status = 200): void {
    const bureau = currentBureau(res);
    renderStaffPage(deps.views, res, 'pages/staff/advice/settings', {
      pageTitle: t(res, 'staff.advice.settings.title'),
      bureauNav: bureauNav(res, 'advice', (key) => t(res, key)),
      action: `${base(bureau)}/settings`,
      back: base(bureau),
      categories: bureau.adviceCategories.map((c) => `${c.id} | ${c.name['zh-CN']} | ${c.name.en}`).join('\n'),
      replyWorkingDays: String(bureau.replyWorkingDays),
      ...extra,
    }, status);
  }

  const settings: RequestHandler = (req, res) => renderSettings(res, { flash: req.query.done === '1' ? t(res, 'staff.advice.saved') : undefined });

  const saveSettings: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const input = { categories: str(req.body?.categories).slice(0, 20_000), replyWorkingDays: str(req.body?.replyWorkingDays).slice(0, 10) };
    try {
      await deps.cases.updateSettings(bureau, input, staffUser(res));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return renderSettings(res, { ...input, problems: error.problems.map((p) => t(res, `staff.advice.problem.${p.reason ?? 'other'}`, p.params)) }, 422);
    }
    deps.invalidateBureaus();
    res.redirect(303, `${base(bureau)}/settings?done=1`);
  };

  async function renderSatisfaction(res: Response, extra: Record<string, unknown> = {}, status = 200): Promise<void> {
    const bureau = currentBureau(res);
    const day = dayFormatter(res, bureau);
    const batches = await deps.cases.codeBatches(bureau);
    renderStaffPage(deps.views, res, 'pages/staff/advice/satisfaction', {
      pageTitle: t(res, 'staff.advice.codes.title'),
      bureauNav: bureauNav(res, 'advice', (key) => t(res, key)),
      action: `${base(bureau)}/satisfaction`,
      back: base(bureau),
      batches: batches.map((b) => {
        const rated = b.ratings.satisfied + b.ratings['basically-satisfied'] + b.ratings.dissatisfied;
        return { ...b, created: day.format(b.createdAt), rated, satisfied: b.ratings.satisfied, basically: b.ratings['basically-satisfied'], dissatisfied: b.ratings.dissatisfied };
      }),
      ...extra,
    }, status);
  }

  const satisfaction: RequestHandler = async (_req, res) => renderSatisfaction(res);

  /** The new batch is the download itself: its codes are shown this once and stored only as hashes. */
  const createCodes: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const input = { label: str(req.body?.label).slice(0, 400), count: str(req.body?.count).slice(0, 10) };
    let created: { batch: string; codes: string[] };
    try {
      created = await deps.cases.createCodeBatch(bureau, input, staffUser(res));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return renderSatisfaction(res, { ...input, problems: error.problems.map((p) => t(res, `staff.advice.problem.${p.reason ?? 'other'}`, p.params)) }, 422);
    }
    const body = CSV_BOM + csvLine(['code', 'link']) + created.codes.map((code) => csvLine([code, `${deps.publicUrl}/rate/${code}`])).join('');
    res.setHeader('Content-Disposition', `attachment; filename="${bureau.slug}-satisfaction-${created.batch}.csv"`);
    res.type('text/csv; charset=utf-8').send(body);
  };

  return { list, show, assign, setStatus, reply, note, moderate, exportCsv: exportFile('csv'), exportXlsx: exportFile('xlsx'), settings, saveSettings, satisfaction, createCodes };
}

/** Adds the advice routes to the staff router (after sign-in), each behind its bureau access level. */
export function addAdviceStaffRoutes(router: Router, container: Container): void {
  const read = loadBureau(container.directory, 'read');
  const act = loadBureau(container.directory, 'staff');
  const manage = loadBureau(container.directory, 'manage');
  const advice = adviceStaffController({ cases: container.adviceCases, views: container.views, i18n: container.i18n, publicUrl: container.config.publicUrl, invalidateBureaus: () => container.directory.invalidate() });
  router.get('/b/:bureau/advice', read, advice.list);
  router.get('/b/:bureau/advice/export.csv', read, advice.exportCsv);
  router.get('/b/:bureau/advice/export.xlsx', read, advice.exportXlsx);
  router.get('/b/:bureau/advice/settings', manage, advice.settings);
  router.post('/b/:bureau/advice/settings', manage, advice.saveSettings);
  router.get('/b/:bureau/advice/satisfaction', act, advice.satisfaction);
  router.post('/b/:bureau/advice/satisfaction', act, advice.createCodes);
  router.get('/b/:bureau/advice/:case', read, advice.show);
  router.post('/b/:bureau/advice/:case/assign', act, advice.assign);
  router.post('/b/:bureau/advice/:case/status', act, advice.setStatus);
  router.post('/b/:bureau/advice/:case/reply', act, advice.reply);
  router.post('/b/:bureau/advice/:case/note', act, advice.note);
  router.post('/b/:bureau/advice/:case/moderate', act, advice.moderate);
}
