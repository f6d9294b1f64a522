/** "You said, we did": staff record the actions taken in answer to a concern or a survey result. */
import type { Request, RequestHandler, Response } from 'express';
import { ValidationError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import { ACTION_STATUSES, type AccountabilityAction } from '../../models/concern.model.js';
import { isBureauStaff } from '../../services/accounts/access.js';
import type { AccountabilityService, ActionInput } from '../../services/accountability/accountability.service.js';
import type { AuditLog } from '../../services/audit/audit-log.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderConfirmPage, renderStaffPage, staffUser } from './staff-pages.js';

export function actionsController(deps: { accountability: AccountabilityService; audit: AuditLog; views: ViewRenderer; i18n: I18n }) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);
  const pick = (res: Response, text: { 'zh-CN': string; en: string }) => text[res.locals.locale as Locale] || text['zh-CN'] || text.en;
  const base = (res: Response) => `/staff/b/${currentBureau(res).slug}/actions`;

  const evidenceValue = (action: AccountabilityAction) => (action.evidence.kind === 'concern' ? `concern:${action.evidence.concern}` : `question:${String(action.evidence.survey)}:${action.evidence.question}`);

  const list: RequestHandler = async (_req, res) => {
    const bureau = currentBureau(res);
    const actions = await deps.accountability.list(bureau._id);
    const choices = await deps.accountability.evidenceChoices(bureau._id);
    const evidenceLabel = new Map<string, string>([...choices.concerns.map((c) => [c.value, pick(res, c.name)] as const), ...choices.questions.map((q) => [q.value, `${pick(res, q.survey)}: ${pick(res, q.question)}`] as const)]);
    renderStaffPage(deps.views, res, 'pages/staff/actions', {
      pageTitle: t(res, 'actions.title'),
      bureauNav: bureauNav(res, 'actions', (key) => t(res, key)),
      canEdit: isBureauStaff(staffUser(res), bureau),
      newHref: `${base(res)}/new`,
      publicHref: `/b/${bureau.slug}/accountability`,
      actions: actions.map((a) => ({
        title: pick(res, a.title),
        status: t(res, `actions.status.${a.status}`),
        dates: a.endedOn ? `${a.startedOn} – ${a.endedOn}` : a.startedOn,
        evidence: evidenceLabel.get(evidenceValue(a)) ?? t(res, 'actions.evidenceGone'),
        editHref: `${base(res)}/${String(a._id)}/edit`,
        deleteHref: `${base(res)}/${String(a._id)}/delete`,
      })),
    });
  };

  async function renderForm(req: Request, res: Response, values: Partial<ActionInput>, extra: Record<string, unknown> = {}, status = 200) {
    const bureau = currentBureau(res);
    const choices = await deps.accountability.evidenceChoices(bureau._id);
    const selected = values.evidence ?? '';
    renderStaffPage(deps.views, res, 'pages/staff/action-form', {
      pageTitle: t(res, extra.editing ? 'actions.editTitle' : 'actions.newTitle'),
      bureauNav: bureauNav(res, 'actions', (key) => t(res, key)),
      // The new-action form posts to the list (POST /actions), an edit to its own address.
      action: extra.editing ? req.originalUrl.split('?')[0] : base(res),
      cancelHref: base(res),
      values,
      statuses: ACTION_STATUSES.map((s) => ({ value: s, label: t(res, `actions.status.${s}`), selected: s === (values.status ?? 'in-progress') })),
      concernChoices: choices.concerns.map((c) => ({ value: c.value, label: pick(res, c.name), selected: c.value === selected })),
      questionChoices: choices.questions.map((q) => ({ value: q.value, label: `${pick(res, q.survey)}: ${pick(res, q.question)}`, selected: q.value === selected })),
      ...extra,
    }, status);
  }

  const input = (req: Request): ActionInput => {
    const s = (name: string) => (typeof req.body?.[name] === 'string' ? (req.body[name] as string) : '');
    return { titleZh: s('titleZh'), titleEn: s('titleEn'), bodyZh: s('bodyZh'), bodyEn: s('bodyEn'), status: s('status'), startedOn: s('startedOn'), endedOn: s('endedOn'), evidence: s('evidence') };
  };

  const problemsOf = (res: Response, error: ValidationError) => error.problems.map((p) => ({ field: p.reason ?? '', message: t(res, `actions.problem.${p.reason ?? 'other'}`) }));

  const newForm: RequestHandler = (req, res) => renderForm(req, res, { evidence: typeof req.query.evidence === 'string' ? req.query.evidence : '', startedOn: new Date().toISOString().slice(0, 10) });

  const create: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const values = input(req);
    try {
      const created = await deps.accountability.create(bureau._id, values, staffUser(res).email);
      await deps.audit.record({ actor: staffUser(res), action: 'action.create', bureau: bureau._id, target: { kind: 'action', id: String(created._id), label: pick(res, created.title) } });
      res.redirect(303, base(res));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderForm(req, res, values, { problems: problemsOf(res, error) }, 422);
    }
  };

  const editForm: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const action = await deps.accountability.get(bureau._id, String(req.params.actionId));
    await renderForm(req, res, { titleZh: action.title['zh-CN'], titleEn: action.title.en, bodyZh: action.body['zh-CN'], bodyEn: action.body.en, status: action.status, startedOn: action.startedOn, endedOn: action.endedOn ?? '', evidence: evidenceValue(action) }, { editing: true });
  };

  const edit: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const values = input(req);
    try {
      const updated = await deps.accountability.update(bureau._id, String(req.params.actionId), values);
      await deps.audit.record({ actor: staffUser(res), action: 'action.edit', bureau: bureau._id, target: { kind: 'action', id: String(updated._id), label: pick(res, updated.title) }, details: { status: updated.status } });
      res.redirect(303, base(res));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderForm(req, res, values, { problems: problemsOf(res, error), editing: true }, 422);
    }
  };

  const confirmRemove: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const action = await deps.accountability.get(bureau._id, String(req.params.actionId));
    renderConfirmPage(deps.views, req, res, {
      question: t(res, 'actions.confirmDelete.question', { title: pick(res, action.title) }),
      consequence: t(res, 'actions.confirmDelete.consequence'),
      confirmLabel: t(res, 'actions.confirmDelete.button'),
      cancelHref: base(res),
    });
  };

  const remove: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const removed = await deps.accountability.remove(bureau._id, String(req.params.actionId));
    await deps.audit.record({ actor: staffUser(res), action: 'action.delete', bureau: bureau._id, target: { kind: 'action', id: String(removed._id), label: pick(res, removed.title) } });
    res.redirect(303, base(res));
  };

  return { list, newForm, create, editForm, edit, confirmRemove, remove };
}
