/** People and bureaus: a manager's staff list, the administrator's bureaus and planner grants, and the audit log pages. */
import type { RequestHandler, Response } from 'express';
import { Types } from 'mongoose';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import { BUREAU_KINDS, type Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { Role } from '../../models/user.model.js';
import { isAdmin } from '../../services/accounts/access.js';
import type { AccountService } from '../../services/accounts/account.service.js';
import { AUDIT_ACTIONS, type AuditLog } from '../../services/audit/audit-log.js';
import type { BureauService } from '../../services/bureaus/bureau.service.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderConfirmPage, renderStaffPage, staffUser } from './staff-pages.js';

export interface PeopleControllerDeps {
  models: Models;
  accounts: AccountService;
  bureaus: BureauService;
  directory: SurveyDirectory;
  audit: AuditLog;
  views: ViewRenderer;
  i18n: I18n;
}

const BUREAU_ROLES: Role[] = ['manager', 'analyst', 'planner'];

export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (!isAdmin(staffUser(res))) throw new NotFoundError();
  next();
};

const str = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

export function peopleController(deps: PeopleControllerDeps) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);

  async function renderPeople(res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const bureau = currentBureau(res);
    const me = staffUser(res);
    const people = await deps.accounts.listStaff(bureau._id);
    renderStaffPage(deps.views, res, 'pages/staff/people', {
      pageTitle: t(res, 'staff.people.title'),
      bureauNav: bureauNav(res, 'staff', (key) => t(res, key)),
      action: `/staff/b/${bureau.slug}/staff`,
      people: people.map((person) => ({
        name: person.name,
        email: person.email,
        roles: person.roles
          .filter((grant) => grant.bureau != null && String(grant.bureau) === String(bureau._id))
          .map((grant) => ({
            label: t(res, `staff.home.role.${grant.role}`),
            revokeHref: `/staff/b/${bureau.slug}/staff/${String(person._id)}/revoke/${grant.role}`,
            canRevoke: !(String(person._id) === me.id && grant.role === 'manager'),
          })),
      })),
      ...extra,
    }, status);
  }

  const staffList: RequestHandler = async (req, res) => renderPeople(res, { flash: req.query.done === 'granted' ? t(res, 'staff.people.granted') : req.query.done === 'revoked' ? t(res, 'staff.people.revoked') : undefined });

  const addStaff: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const role = str(req.body?.role) as Role;
    if (!BUREAU_ROLES.includes(role)) throw new NotFoundError();
    try {
      const { user, created } = await deps.accounts.grantOrCreate({ email: str(req.body?.email), name: str(req.body?.name), password: String(req.body?.password ?? '') }, { role, bureau: bureau._id, region: null });
      await deps.audit.record({ actor: staffUser(res), action: 'role.grant', bureau: bureau._id, target: { kind: 'user', id: user.id, label: user.email }, details: { role, accountCreated: created } });
      res.redirect(303, `/staff/b/${bureau.slug}/staff?done=granted`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderPeople(res, { problems: error.problems.map((p) => p.message), form: { email: req.body?.email, name: req.body?.name } }, 422);
    }
  };

  const confirmRevokeRole: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const userId = String(req.params.user);
    const role = String(req.params.role) as Role;
    if (!/^[0-9a-f]{24}$/.test(userId) || !BUREAU_ROLES.includes(role)) throw new NotFoundError();
    const person = (await deps.accounts.listStaff(bureau._id)).find((u) => String(u._id) === userId);
    if (!person) throw new NotFoundError();
    renderConfirmPage(deps.views, req, res, {
      question: t(res, 'staff.confirm.removeRole.question', { name: person.name || person.email, role: t(res, `staff.home.role.${role}`) }),
      consequence: t(res, 'staff.confirm.removeRole.consequence'),
      confirmLabel: t(res, 'staff.confirm.removeRole.button'),
      cancelHref: `/staff/b/${bureau.slug}/staff`,
    });
  };

  const revokeRole: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const userId = String(req.params.user);
    const role = String(req.params.role) as Role;
    if (!/^[0-9a-f]{24}$/.test(userId) || !BUREAU_ROLES.includes(role)) throw new NotFoundError();
    const person = await deps.models.User.findOne({ _id: new Types.ObjectId(userId), 'roles.bureau': bureau._id }).lean();
    if (!person) throw new NotFoundError();
    if (userId === staffUser(res).id && role === 'manager') return renderPeople(res, { problems: [t(res, 'staff.people.self')] }, 409);
    await deps.accounts.revoke(person._id, role, bureau._id);
    await deps.audit.record({ actor: staffUser(res), action: 'role.revoke', bureau: bureau._id, target: { kind: 'user', id: userId, label: person.email }, details: { role } });
    res.redirect(303, `/staff/b/${bureau.slug}/staff?done=revoked`);
  };

  async function renderAdmin(res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const locale = res.locals.locale as Locale;
    const bureaus = await deps.models.Bureau.find().sort({ slug: 1 }).lean<Bureau[]>();
    renderStaffPage(deps.views, res, 'pages/staff/admin-bureaus', {
      pageTitle: t(res, 'staff.admin.title'),
      bureaus: bureaus.map((b) => ({ href: `/staff/b/${b.slug}`, name: b.name[locale], slug: b.slug, region: b.region[locale] })),
      ...extra,
    }, status);
  }

  const adminBureaus: RequestHandler = async (req, res) => renderAdmin(res, { flash: req.query.done === 'created' ? t(res, 'staff.admin.created') : req.query.done === 'planner' ? t(res, 'staff.admin.plannerGranted') : undefined });

  /** Creates a bureau and its first manager. The account is checked first, so a refused password leaves no bureau behind. */
  const createBureau: RequestHandler = async (req, res) => {
    const body = req.body ?? {};
    const problems: string[] = [];
    const slug = str(body.slug);
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) || slug.length > 60) problems.push(`${t(res, 'staff.admin.slug')}: a-z, 0-9, -`);
    const kind = str(body.kind) as Bureau['kind'];
    if (!BUREAU_KINDS.includes(kind)) problems.push(t(res, 'staff.admin.kind'));
    const text = (name: string) => ({ 'zh-CN': str(body[`${name}.zh-CN`]), en: str(body[`${name}.en`]) });
    for (const name of ['name', 'region', 'city']) {
      const value = text(name);
      if (!value['zh-CN'] || !value.en || value['zh-CN'].length > 100 || value.en.length > 100) problems.push(t(res, `staff.admin.${name}`));
    }
    const districts = str(body.districts).split('\n').map((line) => line.split('|').map((part) => part.trim())).filter((parts) => parts.some(Boolean));
    if (districts.length === 0 || districts.some((d) => d.length !== 3 || !/^[a-z][a-z0-9_-]{0,39}$/.test(d[0]!) || !d[1] || !d[2])) problems.push(t(res, 'staff.admin.districtsHint'));
    const timezone = str(body.timezone) || 'Asia/Shanghai';
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      problems.push(t(res, 'staff.admin.timezone'));
    }
    if (await deps.models.Bureau.exists({ slug })) problems.push(`${t(res, 'staff.admin.slug')}: ${slug}`);
    const manager = { email: str(body.managerEmail), name: str(body.managerName), password: String(body.managerPassword ?? '') };
    const existingManager = await deps.accounts.findByEmail(manager.email);
    if (!existingManager) {
      const problem = deps.accounts.checkNewAccount(manager);
      problems.push(...problem);
    }
    const form = { slug, nameZh: body['name.zh-CN'], nameEn: body['name.en'], regionZh: body['region.zh-CN'], regionEn: body['region.en'], cityZh: body['city.zh-CN'], cityEn: body['city.en'], timezone, districts: body.districts, managerEmail: manager.email, managerName: manager.name };
    if (problems.length > 0) return renderAdmin(res, { problems, form }, 422);
    const bureau = await deps.bureaus.create({
      slug,
      kind,
      name: text('name'),
      region: text('region'),
      city: text('city'),
      districts: districts.map(([id, zh, en]) => ({ id: id!, name: { 'zh-CN': zh!, en: en! } })),
      timezone,
      defaultLocale: str(body.defaultLocale) === 'en' ? 'en' : 'zh-CN',
    });
    deps.directory.invalidate();
    const { user } = await deps.accounts.grantOrCreate(manager, { role: 'manager', bureau: bureau._id, region: null });
    await deps.audit.record({ actor: staffUser(res), action: 'bureau.create', bureau: bureau._id, target: { kind: 'bureau', id: String(bureau._id), label: slug } });
    await deps.audit.record({ actor: staffUser(res), action: 'role.grant', bureau: bureau._id, target: { kind: 'user', id: user.id, label: user.email }, details: { role: 'manager' } });
    res.redirect(303, '/staff/admin/bureaus?done=created');
  };

  const grantPlanner: RequestHandler = async (req, res) => {
    const scope = str(req.body?.scope);
    const bureau = await deps.models.Bureau.findOne({ slug: scope }).lean<Bureau>();
    const regionExists = !bureau && (await deps.models.Bureau.exists({ 'region.en': scope }));
    if (!bureau && !regionExists) return renderAdmin(res, { problems: [t(res, 'staff.admin.plannerScope')] }, 422);
    try {
      const grant = bureau ? { role: 'planner' as const, bureau: bureau._id, region: null } : { role: 'planner' as const, bureau: null, region: scope };
      const { user } = await deps.accounts.grantOrCreate({ email: str(req.body?.email), name: str(req.body?.name), password: String(req.body?.password ?? '') }, grant);
      await deps.audit.record({ actor: staffUser(res), action: 'role.grant', bureau: bureau?._id ?? null, target: { kind: 'user', id: user.id, label: user.email }, details: { role: 'planner', scope } });
      res.redirect(303, '/staff/admin/bureaus?done=planner');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderAdmin(res, { problems: error.problems.map((p) => p.message) }, 422);
    }
  };

  /** An entry's details as labelled, plain fields (the template escapes them); unknown keys keep their name. */
  function detailFields(res: Response, details: Record<string, unknown>, format: Intl.DateTimeFormat): { label: string; value: string }[] {
    const text = (value: unknown): string => {
      if (value instanceof Date) return format.format(value);
      if (typeof value === 'boolean') return t(res, value ? 'staff.audit.yes' : 'staff.audit.no');
      if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}: ${text(v)}`).join(', ');
      return String(value ?? '');
    };
    // Values that are names of things (a role, a sign-in budget) are worded too; the rest are shown as they are.
    const worded: Record<string, string> = { role: 'staff.home.role', scope: 'staff.audit.scopeName' };
    return Object.entries(details ?? {}).map(([key, value]) => {
      const labelKey = `staff.audit.field.${key}`;
      const label = t(res, labelKey);
      const valueKey = worded[key] && typeof value === 'string' ? `${worded[key]}.${value}` : '';
      const wordedValue = valueKey ? t(res, valueKey) : '';
      return { label: label === labelKey ? key : label, value: wordedValue && wordedValue !== valueKey ? wordedValue : text(value) };
    });
  }

  function auditPage(scope: 'bureau' | 'all'): RequestHandler {
    return async (req, res) => {
      const locale = res.locals.locale as Locale;
      const page = Math.max(1, Math.min(10_000, Number.parseInt(String(req.query.page ?? '1'), 10) || 1));
      const bureau = scope === 'bureau' ? currentBureau(res) : undefined;
      const staff = bureau ? await deps.accounts.listStaff(bureau._id) : [];
      const names = new Map(staff.map((u) => [u.email, u.name || u.email]));
      // Filters are plain GET parameters so they live in the URL and work without JavaScript; values the page
      // does not offer are ignored rather than refused.
      const action = (AUDIT_ACTIONS as readonly string[]).includes(str(req.query.action)) ? str(req.query.action) : '';
      const personInput = str(req.query.person).toLowerCase().slice(0, 254);
      const person = scope === 'all' || names.has(personInput) ? personInput : '';
      const { entries, hasMore } = await deps.audit.list({ bureau: bureau?._id, staffEmails: [...names.keys()], action: action || undefined, person: person || undefined, page });
      const zone = bureau?.timezone ?? 'Asia/Shanghai';
      const format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone: zone });
      const here = scope === 'bureau' ? `/staff/b/${bureau!.slug}/audit` : '/staff/admin/audit';
      const hrefFor = (p: number) => {
        const query = new URLSearchParams();
        if (action) query.set('action', action);
        if (person) query.set('person', person);
        if (p > 1) query.set('page', String(p));
        const q = query.toString();
        return q ? `${here}?${q}` : here;
      };
      const actionKey = (a: string) => a.replace(/\./g, '_');
      renderStaffPage(deps.views, res, 'pages/staff/audit', {
        pageTitle: t(res, 'staff.audit.title'),
        bureauNav: bureau ? bureauNav(res, 'audit', (key) => t(res, key)) : undefined,
        here,
        timeZoneNote: t(res, 'staff.audit.timeZone', { zone }),
        actions: AUDIT_ACTIONS.map((a) => ({ value: a, label: t(res, `staff.audit.actionName.${actionKey(a)}`), selected: a === action })),
        people: bureau ? staff.map((u) => ({ value: u.email, label: u.name && u.name !== u.email ? `${u.name} (${u.email})` : u.email, selected: u.email === person })) : null,
        person,
        filtered: Boolean(action || person),
        entries: entries.map((e) => {
          const who = names.get(e.actorEmail) ?? e.actorEmail;
          const known = (AUDIT_ACTIONS as readonly string[]).includes(e.action);
          return {
            at: format.format(e.at),
            iso: e.at.toISOString(),
            sentence: t(res, `staff.audit.sentence.${known ? actionKey(e.action) : 'other'}`, { who, target: e.target?.label ?? '', action: e.action }),
            details: detailFields(res, e.details, format),
          };
        }),
        newerHref: page > 1 ? hrefFor(page - 1) : null,
        olderHref: hasMore ? hrefFor(page + 1) : null,
      });
    };
  }

  return { staffList, addStaff, confirmRevokeRole, revokeRole, adminBureaus, createBureau, grantPlanner, bureauAudit: auditPage('bureau'), adminAudit: auditPage('all') };
}
