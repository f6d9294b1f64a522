/** A filter in words, for the exports that must say which responses they hold. */
import type { Bureau } from '../../models/bureau.model.js';
import type { Locale, Question } from '../../models/survey-definition.types.js';
import type { DashboardFilter } from '../dashboards/dashboard-filter.js';
import type { ExportLayout, Translate } from './export-layout.js';

export function filterStatement(filter: DashboardFilter, layout: ExportLayout, bureau: Pick<Bureau, 'districts'>, locale: Locale, translate: Translate): string[] {
  const t = (key: string, params?: Record<string, unknown>) => translate(locale, key, params);
  const parts: string[] = [];
  if (filter.from) parts.push(`${t('dashboard.from')} ${filter.from}`);
  if (filter.to) parts.push(`${t('dashboard.to')} ${filter.to}`);
  if (filter.district) parts.push(`${t('dashboard.district')}: ${bureau.districts.find((d) => d.id === filter.district)?.name[locale] ?? filter.district}`);
  if (filter.channel) parts.push(`${t('dashboard.channel')}: ${t(`channelName.${filter.channel}`)}`);
  if (filter.answer) {
    const question = layout.questions.find((q: Question) => q.id === filter.answer!.question);
    const value = question ? layout.answerLabel(question, filter.answer.value, locale) : filter.answer.value;
    parts.push(`${t('dashboard.answer')}: ${question?.title[locale] ?? filter.answer.question} = ${value}`);
  }
  return parts;
}

/** "district-wuxing_answer-victim-yes": the filter in a file name, so a saved file still says what it holds. */
export function filterFileTag(filter: DashboardFilter): string {
  const parts: string[] = [];
  if (filter.from) parts.push(`from-${filter.from}`);
  if (filter.to) parts.push(`to-${filter.to}`);
  if (filter.district) parts.push(`district-${filter.district}`);
  if (filter.channel) parts.push(`channel-${filter.channel}`);
  if (filter.answer) parts.push(`answer-${filter.answer.question}-${filter.answer.value}`);
  return parts.join('_').replace(/[^A-Za-z0-9_.-]/g, '-');
}
