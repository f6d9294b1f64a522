/**
 * GET /b/:bureau/accountability: "you said, we did". Advice received, time to reply, replies within the
 * deadline, satisfaction, and the actions taken with the evidence that prompted each. Only counts, public
 * survey results and advice that residents allowed and staff approved for publication ever appear here.
 */
import type { RequestHandler } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { AccountabilityService, EvidenceView, ShareFigure, WaveResult } from '../../services/accountability/accountability.service.js';
import type { QuestionResult } from '../../services/dashboards/question-results.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import { renderPage } from '../shared/render-page.js';
import { formatShare } from '../shared/results.view-model.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { formatDate, isSlug, pageLocale } from './resident-pages.js';

/** One share per option (or first choices of a ranking), by option id, for a before/after table. */
function sharesOf(result: QuestionResult, locale: Locale): Map<string, { label: string; share: string }> {
  const pick = (label: { 'zh-CN': string; en: string } | null, id: string) => (label ? label[locale] || label['zh-CN'] : id);
  if ('rows' in result) return new Map(result.rows.map((row) => [row.id, { label: pick(row.label, row.id), share: formatShare(row.share, locale) }]));
  if (result.kind === 'ranking') return new Map(result.items.map((item) => [item.id, { label: pick(item.label, item.id), share: formatShare(item.firstChoiceShare, locale) }]));
  return new Map();
}

export function accountabilityController(deps: { directory: SurveyDirectory; accountability: AccountabilityService; views: ViewRenderer; i18n: I18n; smallCellMin: number }): RequestHandler {
  return async (req, res) => {
    if (!isSlug(req.params.bureau)) throw new NotFoundError();
    const bureau = await deps.directory.bureau(req.params.bureau);
    if (!bureau) throw new NotFoundError();
    const locale = pageLocale(res, bureau.defaultLocale);
    const t = (key: string, params?: Record<string, unknown>) => deps.i18n.translate(locale, key, params);
    const text = (value: { 'zh-CN': string; en: string }) => value[locale] || value['zh-CN'] || value.en;
    const now = new Date();
    const figures = await deps.accountability.adviceFigures(bureau, now);
    const monthFormat = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' });
    const shareText = (figure: ShareFigure, key: string) =>
      figure.share === null
        ? t('accountability.smallCell', { n: figure.n, threshold: deps.smallCellMin })
        : t(key, { share: formatShare(figure.share, locale), low: formatShare(figure.low, locale), high: formatShare(figure.high, locale), n: figure.n });

    const wave = (result: WaveResult) => ({ survey: text(result.survey), notPublic: !result.public });
    const evidenceView = (evidence: EvidenceView) => {
      if (evidence.kind === 'concern') {
        return {
          isConcern: true,
          summary: t('accountability.concernEvidence', { name: text(evidence.name), count: evidence.mentions, weeks: evidence.weeks }),
          quotes: evidence.quotes.map((q) => ({ text: q.text, when: formatDate(q.at, locale, bureau.timezone) })),
        };
      }
      if (evidence.kind === 'missing') return { isMissing: true };
      const before = evidence.before.public ? sharesOf(evidence.before.result, locale) : new Map();
      const after = evidence.after?.public ? sharesOf(evidence.after.result, locale) : null;
      const ids = [...new Set([...before.keys(), ...(after?.keys() ?? [])])];
      return {
        isQuestion: true,
        question: text(evidence.question),
        before: wave(evidence.before),
        after: evidence.after ? wave(evidence.after) : null,
        beforeAnswered: evidence.before.public ? t('accountability.answered', { n: evidence.before.result.answered }) : null,
        afterAnswered: evidence.after?.public ? t('accountability.answered', { n: evidence.after.result.answered }) : null,
        hasAfter: Boolean(after),
        rows: ids.map((id) => ({ label: before.get(id)?.label ?? after?.get(id)?.label ?? id, before: before.get(id)?.share ?? '—', after: after?.get(id)?.share ?? '—' })),
      };
    };

    const actions = await deps.accountability.list(bureau._id);
    const actionViews = [];
    for (const action of actions) {
      actionViews.push({
        title: text(action.title),
        body: text(action.body),
        status: t(`actions.status.${action.status}`),
        statusKey: action.status,
        dates: action.endedOn ? t('accountability.dates', { from: action.startedOn, to: action.endedOn }) : t('accountability.since', { from: action.startedOn }),
        evidence: evidenceView(await deps.accountability.evidence(bureau, action, now)),
      });
    }

    res.setHeader('Cache-Control', 'public, max-age=60');
    renderPage(deps.views, res, 'pages/resident/accountability', {
      pageTitle: t('accountability.title', { bureau: text(bureau.name) }),
      bureau: { name: text(bureau.name), href: `/b/${bureau.slug}` },
      asOf: t('accountability.asOf', { date: formatDate(now, locale, bureau.timezone) }),
      received: t('accountability.received', { n: figures.received }),
      categories: figures.categories.map((c) => text(c.name)),
      months: figures.months.map((m) => ({ label: monthFormat.format(new Date(`${m.month}-15T00:00:00Z`)), total: m.total, counts: m.counts })),
      reply: figures.reply.medianDays === null ? t('accountability.smallCell', { n: figures.reply.n, threshold: deps.smallCellMin }) : t('accountability.medianReply', { days: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(figures.reply.medianDays), n: figures.reply.n }),
      deadline: shareText(figures.deadline, 'accountability.withinDeadline'),
      satisfaction: shareText(figures.satisfaction, 'accountability.satisfied'),
      satisfactionCounts: figures.satisfaction.share === null ? null : [
        { label: t('accountability.rating.satisfied'), count: figures.satisfaction.counts.satisfied },
        { label: t('accountability.rating.basically-satisfied'), count: figures.satisfaction.counts['basically-satisfied'] },
        { label: t('accountability.rating.dissatisfied'), count: figures.satisfaction.counts.dissatisfied },
      ],
      actions: actionViews,
    }, { locale });
  };
}
