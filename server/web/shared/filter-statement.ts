/** A results filter in words, in the page language: "From 2026-11-01; District: Wuxing". */
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { ResultsService } from '../../services/results/results.service.js';

export function filterStatement(lines: ReturnType<ResultsService['describeFilter']>, i18n: I18n, locale: Locale): string | null {
  if (lines.length === 0) return null;
  const t = (key: string) => i18n.translate(locale, key);
  return lines
    .map((line) => {
      if (line.field === 'from' || line.field === 'to') return `${t(`dashboard.${line.field}`)} ${line.value[locale]}`;
      if (line.field === 'channel') return `${t('dashboard.channel')}: ${t(`channelName.${line.value.en}`)}`;
      if (line.field === 'answer') return `${t('dashboard.answer')}: ${line.question?.[locale] ?? ''} = ${line.value[locale]}`;
      return `${t('dashboard.district')}: ${line.value[locale]}`;
    })
    .join('; ');
}
