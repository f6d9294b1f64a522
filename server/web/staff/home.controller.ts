import type { RequestHandler } from 'express';
import type { Locale } from '../../i18n/i18n.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import { canManage, canRead, isAdmin, isBureauStaff } from '../../services/accounts/access.js';
import type { ComparisonService } from '../../services/dashboards/comparison.service.js';
import type { SurveyTemplate } from '../../services/surveys/survey-templates.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { renderStaffPage, staffUser } from './staff-pages.js';

/** GET /staff: the bureaus the signed-in staff member may open, with their role in each. */
export function staffHomeController(deps: { models: Models; comparisons: ComparisonService; templates: Map<string, SurveyTemplate>; views: ViewRenderer; translate: (locale: Locale, key: string, params?: Record<string, unknown>) => string }): RequestHandler {
  return async (_req, res) => {
    const user = staffUser(res);
    const locale = res.locals.locale as Locale;
    const bureaus = (await deps.models.Bureau.find().sort({ slug: 1 }).lean<Bureau[]>()).filter((b) => canRead(user, b));
    const roleOf = (b: Bureau) => (isAdmin(user) ? 'admin' : canManage(user, b) ? 'manager' : isBureauStaff(user, b) ? 'analyst' : 'planner');
    renderStaffPage(deps.views, res, 'pages/staff/home', {
      pageTitle: deps.translate(locale, 'staff.home.title'),
      isAdmin: isAdmin(user),
      bureaus: bureaus.map((b) => ({ href: `/staff/b/${b.slug}`, name: b.name[locale], city: b.city[locale], role: deps.translate(locale, `staff.home.role.${roleOf(b)}`) })),
      comparisons: (await deps.comparisons.comparableTemplates(bureaus.map((b) => b._id)))
        // Only what the comparison can show: a template with a ranking question.
        .filter((slug) => deps.templates.get(slug)?.definition.questions.some((q) => q.type === 'ranking'))
        .map((slug) => ({ href: `/staff/compare/${slug}`, label: deps.translate(locale, 'compare.link', { title: deps.templates.get(slug)!.definition.title[locale] }) })),
    });
  };
}
