/** The bureau's main concerns: ranked list, drill-down to every text, import of microblog posts, rename/merge/pin. */
import type { Request, RequestHandler, Response } from 'express';
import { AppError, BadRequestError, ValidationError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { Bureau } from '../../models/bureau.model.js';
import { isBureauStaff } from '../../services/accounts/access.js';
import type { AuditLog } from '../../services/audit/audit-log.js';
import { CONCERN_SOURCES, type ConcernSource, type ConcernText } from '../../services/concerns/concern-analysis.js';
import type { ConcernRow, ConcernsService, OverviewOptions } from '../../services/concerns/concerns.service.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderStaffPage, staffUser } from './staff-pages.js';
import type { UploadedFile } from './upload-body.js';

const WEEK_CHOICES = [4, 12, 52] as const;
const SAMPLE_CHARACTERS = 140;

export function concernsController(deps: { concerns: ConcernsService; audit: AuditLog; views: ViewRenderer; i18n: I18n }) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);
  const locale = (res: Response) => res.locals.locale as Locale;

  function filters(req: Request): OverviewOptions & { weeksValue: string; sourceValue: string } {
    const weeksRaw = typeof req.query.weeks === 'string' ? req.query.weeks : '12';
    const weeks = weeksRaw === 'all' ? null : (WEEK_CHOICES as readonly number[]).includes(Number(weeksRaw)) ? Number(weeksRaw) : 12;
    const sourceRaw = typeof req.query.source === 'string' ? req.query.source : '';
    const source = (CONCERN_SOURCES as readonly string[]).includes(sourceRaw) ? (sourceRaw as ConcernSource) : null;
    return { weeks, source, weeksValue: weeks === null ? 'all' : String(weeks), sourceValue: source ?? '' };
  }

  function districtName(bureau: Bureau, id: string | null, res: Response): string {
    if (id === null) return t(res, 'concerns.noDistrict');
    return bureau.districts.find((d) => d.id === id)?.name[locale(res)] ?? id;
  }

  const dayFormat = (bureau: Bureau, res: Response) => new Intl.DateTimeFormat(locale(res), { dateStyle: 'medium', timeZone: bureau.timezone });

  function textView(bureau: Bureau, text: ConcernText, res: Response, when: Intl.DateTimeFormat, full = false) {
    const chars = [...text.text];
    return {
      text: full || chars.length <= SAMPLE_CHARACTERS ? text.text : `${chars.slice(0, SAMPLE_CHARACTERS).join('')}…`,
      source: t(res, `concerns.source.${text.source}`),
      when: when.format(text.at),
      district: text.district ? districtName(bureau, text.district, res) : null,
    };
  }

  function trend(row: Pick<ConcernRow, 'thisWeek' | 'lastWeek'>, res: Response) {
    const change = row.thisWeek - row.lastWeek;
    const key = change > 0 ? 'concerns.trendUp' : change < 0 ? 'concerns.trendDown' : 'concerns.trendSame';
    return { text: t(res, key, { change: Math.abs(change) }), direction: change > 0 ? 'up' : change < 0 ? 'down' : 'same' };
  }

  const base = (res: Response) => `/staff/b/${currentBureau(res).slug}/concerns`;

  async function renderOverview(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const bureau = currentBureau(res);
    const options = filters(req);
    const overview = await deps.concerns.overview(bureau, options);
    const canEdit = isBureauStaff(staffUser(res), bureau);
    const when = dayFormat(bureau, res);
    const query = (over: Record<string, string>) => {
      const params = new URLSearchParams({ weeks: options.weeksValue, ...(options.sourceValue ? { source: options.sourceValue } : {}), ...over });
      if (!params.get('source')) params.delete('source');
      return params.toString();
    };
    renderStaffPage(deps.views, res, 'pages/staff/concerns', {
      pageTitle: t(res, 'concerns.title'),
      bureauNav: bureauNav(res, 'concerns', (key) => t(res, key)),
      canEdit,
      action: base(res),
      summary: t(res, 'concerns.summary', { total: overview.total, matched: overview.matched }),
      segmenter: t(res, `concerns.segmenter.${overview.segmenter}`),
      weekChoices: [...WEEK_CHOICES.map(String), 'all'].map((value) => ({ value, label: value === 'all' ? t(res, 'concerns.allTime') : t(res, 'concerns.weeks', { count: value }), selected: value === options.weeksValue })),
      sourceChoices: ['', ...CONCERN_SOURCES].map((value) => ({ value, label: value ? t(res, `concerns.source.${value}`) : t(res, 'concerns.allSources'), selected: value === options.sourceValue })),
      concerns: overview.concerns.map((row, index) => ({
        rank: index + 1,
        id: row.id,
        name: row.name[locale(res)] || row.name['zh-CN'],
        href: `${base(res)}/${row.id}?${query({})}`,
        pinned: row.pinned,
        count: row.count,
        thisWeek: row.thisWeek,
        lastWeek: row.lastWeek,
        trend: trend(row, res),
        districts: row.byDistrict.slice(0, 3).map((d) => `${districtName(bureau, d.district, res)} ${d.count}`).join(t(res, 'concerns.listSeparator')),
        sources: CONCERN_SOURCES.filter((s) => row.bySource[s] > 0).map((s) => `${t(res, `concerns.source.${s}`)} ${row.bySource[s]}`).join(t(res, 'concerns.listSeparator')),
        samples: row.samples.map((s) => textView(bureau, s, res, when)),
        merged: row.merged.map((m) => m.name[locale(res)] || m.name['zh-CN']).join(t(res, 'concerns.listSeparator')),
        actionHref: `/staff/b/${bureau.slug}/actions/new?evidence=${encodeURIComponent(`concern:${row.id}`)}`,
      })),
      emerging: overview.emerging,
      addAction: `${base(res)}/new`,
      importAction: `${base(res)}/import`,
      ...extra,
    }, status);
  }

  const overview: RequestHandler = (req, res) => renderOverview(req, res);

  const importPosts: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const file = (res.locals.uploads as Record<string, UploadedFile> | undefined)?.file;
    try {
      if (!file || file.data.length === 0) throw new BadRequestError(t(res, 'concerns.import.noFile'));
      const result = await deps.concerns.importPosts(bureau, file.data);
      await deps.audit.record({ actor: staffUser(res), action: 'concerns.import', bureau: bureau._id, target: { kind: 'microblog-import', id: result.batch, label: file.filename.slice(0, 100) }, details: { received: result.received, added: result.added, duplicates: result.duplicates } });
      await renderOverview(req, res, { flash: t(res, 'concerns.import.done', result) });
    } catch (error) {
      // A bad file is the staff member's to fix: the page again, with what is wrong and the right status.
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const reason = (error.details as { reason?: string } | undefined)?.reason;
      const importProblems =
        error instanceof ValidationError
          ? [t(res, 'concerns.import.error.refused', error as unknown as Record<string, unknown>), ...error.problems.map((p) => t(res, `concerns.import.problem.${p.reason}`, p.params))]
          : [reason ? t(res, `concerns.import.error.${reason}`, error.details as Record<string, unknown>) : error.message];
      await renderOverview(req, res, { importProblems }, error.status);
    }
  };

  const detail: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const options = filters(req);
    const page = Math.max(1, Math.min(10_000, Number(req.query.page) || 1));
    const id = String(req.params.concern);
    const concern = await deps.concerns.concern(bureau, id, { ...options, page });
    const choices = (await deps.concerns.choices(bureau._id)).filter((c) => c.id !== id);
    const canEdit = isBureauStaff(staffUser(res), bureau);
    const pageHref = (n: number) => `${base(res)}/${id}?${new URLSearchParams({ weeks: options.weeksValue, ...(options.sourceValue ? { source: options.sourceValue } : {}), page: String(n) })}`;
    renderStaffPage(deps.views, res, 'pages/staff/concern', {
      pageTitle: concern.name[locale(res)] || concern.name['zh-CN'],
      bureauNav: bureauNav(res, 'concerns', (key) => t(res, key)),
      backHref: `${base(res)}?weeks=${options.weeksValue}${options.sourceValue ? `&source=${options.sourceValue}` : ''}`,
      name: concern.name[locale(res)] || concern.name['zh-CN'],
      nameZh: concern.name['zh-CN'],
      nameEn: concern.name.en,
      pinned: concern.pinned,
      count: t(res, 'concerns.textCount', { count: concern.total }),
      trend: trend(concern, res),
      thisWeek: concern.thisWeek,
      lastWeek: concern.lastWeek,
      districts: concern.byDistrict.map((d) => ({ name: districtName(bureau, d.district, res), count: d.count })),
      sources: CONCERN_SOURCES.map((s) => ({ name: t(res, `concerns.source.${s}`), count: concern.bySource[s] })),
      texts: concern.texts.map((text) => textView(bureau, text, res, dayFormat(bureau, res), true)),
      previousHref: page > 1 ? pageHref(page - 1) : null,
      nextHref: concern.hasMore ? pageHref(page + 1) : null,
      canEdit,
      action: `${base(res)}/${id}`,
      mergeChoices: choices.map((c) => ({ value: c.id, label: c.name[locale(res)] || c.name['zh-CN'] })),
      merged: concern.merged.map((m) => ({ name: m.name[locale(res)] || m.name['zh-CN'], splitAction: `${base(res)}/${m.id}/unmerge` })),
      actionHref: `/staff/b/${bureau.slug}/actions/new?evidence=${encodeURIComponent(`concern:${id}`)}`,
    });
  };

  async function audited(res: Response, action: string, concern: string, details: Record<string, unknown> = {}) {
    const bureau = currentBureau(res);
    await deps.audit.record({ actor: staffUser(res), action, bureau: bureau._id, target: { kind: 'concern', id: concern, label: concern }, details });
  }

  const field = (req: Request, name: string) => (typeof req.body?.[name] === 'string' ? (req.body[name] as string) : '');

  const rename: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const id = String(req.params.concern);
    const name = { 'zh-CN': field(req, 'nameZh'), en: field(req, 'nameEn') };
    await deps.concerns.rename(bureau._id, id, name);
    await audited(res, 'concern.rename', id, { name });
    res.redirect(303, `${base(res)}/${id}`);
  };

  const merge: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const id = String(req.params.concern);
    const into = field(req, 'into');
    await deps.concerns.merge(bureau._id, id, into);
    await audited(res, 'concern.merge', id, { into });
    res.redirect(303, `${base(res)}/${into}`);
  };

  const unmerge: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const id = String(req.params.concern);
    await deps.concerns.unmerge(bureau._id, id);
    await audited(res, 'concern.unmerge', id);
    res.redirect(303, `${base(res)}/${id}`);
  };

  const pin: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const id = String(req.params.concern);
    const pinned = field(req, 'pinned') === '1';
    await deps.concerns.pin(bureau._id, id, pinned);
    await audited(res, pinned ? 'concern.pin' : 'concern.unpin', id);
    res.redirect(303, field(req, 'back') === 'list' ? base(res) : `${base(res)}/${id}`);
  };

  const add: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const term = field(req, 'term');
    const id = await deps.concerns.addConcern(bureau._id, term, { 'zh-CN': field(req, 'nameZh'), en: field(req, 'nameEn') });
    await audited(res, 'concern.create', id, { term });
    res.redirect(303, `${base(res)}/${id}`);
  };

  return { overview, importPosts, detail, rename, merge, unmerge, pin, add };
}
