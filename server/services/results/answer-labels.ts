/** The one place that names an answer value in both languages: options, districts, yes/no, rating values, "other". */
import type { Bureau } from '../../models/bureau.model.js';
import { OTHER_OPTION_ID, type LocalizedText, type Question } from '../../models/survey-definition.types.js';
import { answerValues } from '../dashboards/dashboard-filter.js';

export const OTHER_LABEL: LocalizedText = { 'zh-CN': '其他', en: 'Other' };
const YES_NO: Record<string, LocalizedText> = { yes: { 'zh-CN': '是', en: 'Yes' }, no: { 'zh-CN': '否', en: 'No' } };

export function answerLabels(question: Question, bureau: Pick<Bureau, 'districts'>): Map<string, LocalizedText> {
  const labels = new Map<string, LocalizedText>();
  if ('options' in question) for (const option of question.options) labels.set(option.id, option.label);
  if (question.type === 'district') for (const district of bureau.districts) labels.set(district.id, district.name);
  if (question.type === 'yes-no') for (const [id, label] of Object.entries(YES_NO)) labels.set(id, label);
  if (question.type === 'rating') for (let v = 1; v <= question.scale; v += 1) labels.set(String(v), { 'zh-CN': String(v), en: String(v) });
  labels.set(OTHER_OPTION_ID, OTHER_LABEL);
  return labels;
}

/** A value's label, or the value itself in both languages (an option removed since it was chosen). */
export function answerLabel(question: Question, bureau: Pick<Bureau, 'districts'>, value: string): LocalizedText {
  return answerLabels(question, bureau).get(value) ?? { 'zh-CN': value, en: value };
}

/** The answers of a question in their defined order, each with its label: for filter menus and table heads. */
export function labelledAnswers(question: Question, bureau: Pick<Bureau, 'districts'>): Array<{ id: string; label: LocalizedText }> {
  const labels = answerLabels(question, bureau);
  return answerValues(question, bureau).map((id) => ({ id, label: labels.get(id) ?? { 'zh-CN': id, en: id } }));
}
