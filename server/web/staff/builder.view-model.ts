/** The survey builder's view-model: every field with its name, id, value and error, question by question. */
import type { Bureau } from '../../models/bureau.model.js';
import type { Locale } from '../../i18n/i18n.js';
import { QUESTION_TYPES } from './builder-form.js';

type Json = Record<string, unknown>;

export interface FieldVM {
  name: string;
  id: string;
  value: string;
  error?: string;
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));

export function buildBuilderModel(input: { definition: Json; errors: Map<string, string>; bureau: Bureau; locale: Locale; translate: (key: string, params?: Record<string, unknown>) => string; action: string }) {
  const { definition, errors, translate } = input;
  const field = (name: string, value: unknown): FieldVM => ({ name, id: `f-${name.replace(/[^\w-]/g, '-')}`, value: text(value), error: errors.get(name) });
  const pair = (prefix: string, object: unknown) => {
    const o = (object ?? {}) as Json;
    return { zh: field(`${prefix}.zh-CN`, o['zh-CN']), en: field(`${prefix}.en`, o.en), error: errors.get(prefix) };
  };
  const settings = (definition.settings ?? {}) as Json;
  const questions = ((definition.questions ?? []) as Json[]).map((question, index, all) => {
    const at = `q.${index}`;
    const type = String(question.type);
    const options = ((question.options ?? []) as Json[]).map((option, j) => ({
      number: j + 1,
      id: field(`${at}.options.${j}.id`, option.id),
      label: pair(`${at}.options.${j}.label`, option.label),
      removeAction: `remove-option:${index}:${j}`,
    }));
    const showIf = (question.showIf ?? {}) as Json;
    return {
      index,
      number: index + 1,
      type,
      typeLabel: translate(`staff.builder.types.${type}`),
      typeField: field(`${at}.type`, type),
      id: field(`${at}.id`, question.id),
      title: pair(`${at}.title`, question.title),
      help: pair(`${at}.help`, question.help),
      required: { ...field(`${at}.required`, ''), checked: question.required === true },
      canOther: ['single', 'multiple', 'ranking', 'district'].includes(type),
      other: { ...field(`${at}.other`, ''), checked: question.other === true },
      hasOptions: ['single', 'multiple', 'ranking'].includes(type),
      options,
      optionsError: errors.get(`${at}.options`),
      isMultiple: type === 'multiple',
      minSelections: field(`${at}.minSelections`, question.minSelections),
      maxSelections: field(`${at}.maxSelections`, question.maxSelections),
      isRanking: type === 'ranking',
      rankCount: field(`${at}.rankCount`, question.rankCount),
      isRating: type === 'rating',
      scale: { ...field(`${at}.scale`, question.scale), five: Number(question.scale) !== 10, ten: Number(question.scale) === 10 },
      lowLabel: pair(`${at}.lowLabel`, question.lowLabel),
      highLabel: pair(`${at}.highLabel`, question.highLabel),
      isText: type === 'text',
      maxLength: field(`${at}.maxLength`, question.maxLength),
      multiline: { ...field(`${at}.multiline`, ''), checked: question.multiline === true },
      isDistrict: type === 'district',
      districts: input.bureau.districts.map((d) => d.name[input.locale]).join(input.locale === 'en' ? ', ' : '、'),
      showIfQuestion: field(`${at}.showIf.question`, showIf.question),
      showIfAnyOf: field(`${at}.showIf.anyOf`, Array.isArray(showIf.anyOf) ? showIf.anyOf.join(', ') : ''),
      showIfError: errors.get(`${at}.showIf`),
      earlier: all.slice(0, index).map((q) => ({ value: text(q.id), label: `${text(q.id)} — ${text((q.title as Json | undefined)?.[input.locale])}`, selected: q.id === showIf.question })),
      error: errors.get(at),
      upAction: index > 0 ? `move-up:${index}` : null,
      downAction: index < all.length - 1 ? `move-down:${index}` : null,
      removeAction: `remove-question:${index}`,
      addOptionAction: `add-option:${index}`,
    };
  });
  const errorSummary = [...errors.entries()].map(([name, message]) => ({ href: `#f-${name.replace(/[^\w-]/g, '-')}`, message: `${name}: ${message}` }));
  return {
    action: input.action,
    slug: field('slug', definition.slug),
    defaultLocale: { ...field('defaultLocale', definition.defaultLocale), zh: definition.defaultLocale !== 'en', en: definition.defaultLocale === 'en' },
    title: pair('title', definition.title),
    description: pair('description', definition.description),
    votePolicy: { ...field('settings.votePolicy', settings.votePolicy), browser: settings.votePolicy !== 'invitation', invitation: settings.votePolicy === 'invitation' },
    publicResults: { ...field('settings.publicResults', settings.publicResults), never: settings.publicResults === 'never', always: settings.publicResults === 'always', afterClose: settings.publicResults === 'after-close' },
    anonymity: { ...field('settings.anonymity', settings.anonymity), anonymous: settings.anonymity !== 'confidential', confidential: settings.anonymity === 'confidential' },
    responseCap: field('settings.responseCap', settings.responseCap),
    thankYou: pair('settings.thankYou', settings.thankYou),
    questions,
    questionsError: errors.get('questions'),
    questionTypes: QUESTION_TYPES.map((value) => ({ value, label: translate(`staff.builder.types.${value}`) })),
    errorSummary,
    hasErrors: errorSummary.length > 0,
  };
}
