/** A manager's page for the bureau's read-only API tokens. */
import type { RequestHandler, Response } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { ApiTokens } from '../../services/api/api-tokens.js';
import type { AuditLog } from '../../services/audit/audit-log.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderConfirmPage, renderStaffPage, staffUser } from './staff-pages.js';

export function tokensController(deps: { apiTokens: ApiTokens; audit: AuditLog; views: ViewRenderer; i18n: I18n; publicUrl: string }) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);

  async function render(res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const bureau = currentBureau(res);
    const locale = res.locals.locale as Locale;
    const format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: bureau.timezone });
    const tokens = await deps.apiTokens.list(bureau._id);
    renderStaffPage(deps.views, res, 'pages/staff/tokens', {
      pageTitle: t(res, 'staff.tokens.title'),
      bureauNav: bureauNav(res, 'tokens', (key) => t(res, key)),
      openapi: `${deps.publicUrl}/api/v1/openapi.json`,
      action: `/staff/b/${bureau.slug}/tokens`,
      tokens: tokens.map((token) => ({ name: token.name, createdBy: token.createdBy, createdAt: format.format(token.createdAt), lastUsed: token.lastUsedAt ? format.format(token.lastUsedAt) : '—', revoked: token.revoked, revokeHref: `/staff/b/${bureau.slug}/tokens/${token._id}/revoke` })),
      ...extra,
    }, status);
  }

  const list: RequestHandler = (_req, res) => render(res);

  const create: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
    if (!name) return render(res, { problems: [t(res, 'staff.tokens.name')] }, 422);
    const user = staffUser(res);
    const { token, id } = await deps.apiTokens.create(bureau._id, name, user.email);
    await deps.audit.record({ actor: user, action: 'token.create', bureau: bureau._id, target: { kind: 'api-token', id, label: name } });
    await render(res, { newToken: token });
  };

  const confirmRevoke: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const token = (await deps.apiTokens.list(bureau._id)).find((candidate) => String(candidate._id) === String(req.params.token) && !candidate.revoked);
    if (!token) throw new NotFoundError();
    renderConfirmPage(deps.views, req, res, {
      question: t(res, 'staff.confirm.revokeToken.question', { name: token.name }),
      consequence: t(res, 'staff.confirm.revokeToken.consequence'),
      confirmLabel: t(res, 'staff.confirm.revokeToken.button'),
      cancelHref: `/staff/b/${bureau.slug}/tokens`,
    });
  };

  const revoke: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    if (!(await deps.apiTokens.revoke(bureau._id, String(req.params.token)))) throw new NotFoundError();
    await deps.audit.record({ actor: staffUser(res), action: 'token.revoke', bureau: bureau._id, target: { kind: 'api-token', id: String(req.params.token), label: '' } });
    res.redirect(303, `/staff/b/${bureau.slug}/tokens`);
  };

  return { list, create, confirmRevoke, revoke };
}
