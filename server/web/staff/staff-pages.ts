/** Rendering and guards shared by the staff pages. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { Locale } from '../../i18n/i18n.js';
import type { Bureau } from '../../models/bureau.model.js';
import { canManage, canRead, isBureauStaff, type Principal } from '../../services/accounts/access.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';

export function staffUser(res: Response): Principal {
  const user = res.locals.user as Principal | undefined;
  if (!user) throw new NotFoundError();
  return user;
}

/** Pages behind sign-in send strangers to the sign-in page, and back afterwards. */
export const requireSignIn: RequestHandler = (req, res, next) => {
  if (res.locals.user) return next();
  if (req.method === 'GET') return res.redirect(303, `/staff/login?next=${encodeURIComponent(req.originalUrl)}`);
  next(new NotFoundError());
};

export function renderStaffPage(views: ViewRenderer, res: Response, page: string, model: Record<string, unknown>, status = 200, layout = 'staff'): void {
  res.setHeader('Cache-Control', 'no-store');
  renderPage(views, res, page, { ...model, user: res.locals.user, csrfToken: res.locals.csrfToken }, { layout, status });
}

/**
 * Asks before a destructive action. The button of such an action is a link to its own URL: GET answers with
 * this page, which changes nothing, and its form POSTs to the same URL with the CSRF token, which does it.
 * So the confirmation needs no JavaScript and no browser confirm() dialog.
 */
export function renderConfirmPage(views: ViewRenderer, req: Request, res: Response, model: { question: string; consequence: string; confirmLabel: string; cancelHref: string; bureauNav?: unknown }): void {
  renderStaffPage(views, res, 'pages/staff/confirm', { pageTitle: model.question, ...model, action: req.originalUrl.split('?')[0] });
}

export type BureauAccess = 'read' | 'staff' | 'manage';

/**
 * Loads :bureau into res.locals.bureau when the user may act on it at the given level. Otherwise a 404,
 * exactly as for a bureau that does not exist: staff of one bureau cannot even confirm another's.
 */
export function loadBureau(directory: SurveyDirectory, level: BureauAccess) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const user = staffUser(res);
    const slug = String(req.params.bureau);
    const bureau = /^[a-z0-9-]{1,60}$/.test(slug) ? await directory.bureau(slug) : null;
    const allowed = bureau && (level === 'manage' ? canManage(user, bureau) : level === 'staff' ? isBureauStaff(user, bureau) : canRead(user, bureau));
    if (!bureau || !allowed) throw new NotFoundError();
    res.locals.bureau = bureau;
    next();
  };
}

export function currentBureau(res: Response): Bureau {
  return res.locals.bureau as Bureau;
}

/** The bureau's sub-navigation, with only the sections the user may open. */
export function bureauNav(res: Response, current: 'surveys' | 'staff' | 'audit' | 'tokens' | 'advice' | 'concerns' | 'actions', translate: (key: string) => string) {
  const bureau = currentBureau(res);
  const user = staffUser(res);
  const locale = res.locals.locale as Locale;
  const base = `/staff/b/${bureau.slug}`;
  const links = [{ key: 'surveys', href: base, label: translate('staff.nav.surveys') }, { key: 'advice', href: `${base}/advice`, label: translate('staff.nav.advice') }];
  links.push({ key: 'concerns', href: `${base}/concerns`, label: translate('staff.nav.concerns') }, { key: 'actions', href: `${base}/actions`, label: translate('staff.nav.actions') });
  if (canManage(user, bureau)) {
    links.push({ key: 'staff', href: `${base}/staff`, label: translate('staff.nav.staff') });
    links.push({ key: 'audit', href: `${base}/audit`, label: translate('staff.nav.audit') });
    links.push({ key: 'tokens', href: `${base}/tokens`, label: translate('staff.nav.tokens') });
  }
  return { name: bureau.name[locale], links: links.map((link) => ({ ...link, current: link.key === current })) };
}

/** A redirect target from ?next= only when it stays inside the staff workspace. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/staff(\/[\w\-./?=&%]*)?$/.test(value) && !value.includes('//') ? value : '/staff';
}
