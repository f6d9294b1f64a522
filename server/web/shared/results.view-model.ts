/** Formats question results for a page in one language: percentages, intervals, labels. Shared by public and staff pages. */
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { QuestionResult } from '../../services/dashboards/question-results.js';

// Building an Intl.NumberFormat costs far more than using one: one of each per locale, made on first use.
const formats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: Locale, percent: boolean): Intl.NumberFormat {
  const key = `${locale}|${percent}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, percent ? { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 } : { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    formats.set(key, format);
  }
  return format;
}

export function formatShare(value: number | null, locale: Locale): string {
  return value === null ? '—' : numberFormat(locale, true).format(value);
}

const formatNumber = (value: number | null | undefined, locale: Locale) => (value === null || value === undefined ? '—' : numberFormat(locale, false).format(value));

export function resultsViewModel(results: QuestionResult[], i18n: I18n, locale: Locale, smallCellThreshold: number) {
  const t = (key: string, params?: Record<string, unknown>) => i18n.translate(locale, key, params);
  const text = (value: { 'zh-CN': string; en: string } | null) => (value ? value[locale] || value['zh-CN'] : '');
  return results.map((result, index) => {
    const baseNote = result.base.protected && result.answered > 0 ? t('resultBase.smallCell', { threshold: smallCellThreshold }) : result.kind === 'text' ? null : t(`resultBase.${result.base.counted}`, { count: result.base.n });
    const base = { number: index + 1, id: result.question.id, title: text(result.question.title), answered: result.answered, answeredText: t('results.answered', { count: result.answered }), baseNote };
    const rows = 'rows' in result ? result.rows.map((row) => ({ label: text(row.label) || row.id, count: row.count, share: formatShare(row.share, locale), percent: row.share === null ? null : Math.round(row.share * 1000) / 10 })) : [];
    switch (result.kind) {
      case 'text':
        return { ...base, isText: true, textNote: t('results.textNotPublished', { count: result.answered }) };
      case 'ranking': {
        const n = result.question.type === 'ranking' ? result.question.rankCount : 0;
        return {
          ...base,
          isRanking: true,
          rankingNote: t('results.bordaNote', { count: n, count2: Math.max(n - 1, 0) }),
          items: result.items.map((item, position) => ({ position: position + 1, label: text(item.label) || item.id, firstChoice: item.firstChoice, firstChoiceShare: formatShare(item.firstChoiceShare, locale), bordaMean: formatNumber(item.bordaMean, locale), bordaValue: item.bordaMean })),
        };
      }
      case 'rating':
        return {
          ...base,
          isChoice: true,
          rows,
          summary: result.mean
            ? result.mean.low === null
              ? t('results.meanNoInterval', { mean: formatNumber(result.mean.mean, locale) })
              : t('results.mean', { mean: formatNumber(result.mean.mean, locale), low: formatNumber(result.mean.low, locale), high: formatNumber(result.mean.high, locale) })
            : null,
          summary2: result.topBox && result.topBox.share !== null
            ? t('results.topBox', { top: result.question.type === 'rating' && result.question.scale === 10 ? '9–10' : '4–5', share: formatShare(result.topBox.share, locale), low: formatShare(result.topBox.low, locale), high: formatShare(result.topBox.high, locale) })
            : null,
        };
      case 'yes-no':
        return { ...base, isChoice: true, rows, summary: result.yes.share === null ? null : t('results.yesShare', { share: formatShare(result.yes.share, locale), low: formatShare(result.yes.low, locale), high: formatShare(result.yes.high, locale) }) };
      default:
        return { ...base, isChoice: true, rows, note: result.multiple ? t('results.multipleNote') : null };
    }
  });
}
