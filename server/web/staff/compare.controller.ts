/** GET /staff/compare/:template: the same survey across the bureaus the user may read, side by side. */
import type { RequestHandler } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import { canRead } from '../../services/accounts/access.js';
import type { ComparisonService } from '../../services/dashboards/comparison.service.js';
import type { SurveyTemplate } from '../../services/surveys/survey-templates.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { renderStaffPage, staffUser } from './staff-pages.js';

export function compareController(deps: { models: Models; comparisons: ComparisonService; templates: Map<string, SurveyTemplate>; views: ViewRenderer; i18n: I18n }): RequestHandler {
  return async (req, res) => {
    const locale = res.locals.locale as Locale;
    const t = (key: string, params?: Record<string, unknown>) => deps.i18n.translate(locale, key, params);
    const template = deps.templates.get(String(req.params.template));
    if (!template) throw new NotFoundError();
    const user = staffUser(res);
    const bureaus = (await deps.models.Bureau.find().sort({ slug: 1 }).lean<Bureau[]>()).filter((b) => canRead(user, b));
    const comparison = await deps.comparisons.compare(template.slug, bureaus);
    if (!comparison) throw new NotFoundError();
    const number = (value: number | null) => (value === null ? '—' : new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value));
    const label = (id: string) => comparison.question.options.find((o) => o.id === id)?.label[locale] ?? (locale === 'en' ? 'Other' : '其他');
    const n = comparison.question.rankCount;
    renderStaffPage(deps.views, res, 'pages/staff/compare', {
      pageTitle: t('compare.title', { title: template.definition.title[locale] }),
      title: template.definition.title[locale],
      intro: t('compare.intro', { note: t('results.bordaNote', { count: n, count2: Math.max(n - 1, 0) }) }),
      rows: comparison.rows.map(({ bureau, latest, previous }) => ({
        bureau: bureau.name[locale],
        href: `/staff/b/${bureau.slug}/surveys/${latest.survey.slug}/results`,
        total: latest.total,
        top: latest.items.filter((i) => i.mentions > 0).slice(0, 3).map((item) => ({ label: label(item.id), points: number(item.bordaMean) })),
        changes: previous
          ? latest.items.filter((i) => i.mentions > 0).slice(0, 3).map((item) => {
              const before = previous.items.find((p) => p.id === item.id)?.bordaMean ?? null;
              const delta = item.bordaMean !== null && before !== null ? item.bordaMean - before : null;
              return { label: label(item.id), delta: delta === null ? '—' : `${delta >= 0 ? '+' : ''}${number(delta)}` };
            })
          : [],
      })),
      bureaus: comparison.rows.map((row) => row.bureau.name[locale]),
      respondents: comparison.rows.map((row) => row.latest.answered),
      // Sorted by points, as the note above the table says.
      items: comparison.order.map((id) => comparison.question.options.find((o) => o.id === id)!).map((option) => ({
        label: option.label[locale],
        values: comparison.rows.map((row) => {
          const value = row.latest.items.find((i) => i.id === option.id)?.bordaMean ?? null;
          return { value: value ?? 0, text: number(value) };
        }),
      })),
      scripts: ['/static/vendor/chart.umd.min.js', '/static/js/results-charts.js'],
    });
  };
}
