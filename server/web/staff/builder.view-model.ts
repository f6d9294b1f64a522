/** The survey builder's view-model: every field with its name, id, value and error, question by question. */
import type { Bureau } from '../../models/bureau.model.js';
import type { Locale } from '../../i18n/i18n.js';
import { CHOICE_TYPES, optionState, QUESTION_TYPES } from './builder-form.js';
import { fieldLabel } from './builder-messages.js';

type Json = Record<string, unknown>;

export interface FieldVM {
  name: string;
  id: string;
  value: string;
  error?: string;
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
const fieldId = (name: string) => `f-${name.replace(/[^\w-]/g, '-')}`;

/** The glyph on each question type's card: plain characters every system font has, no emoji. */
const TYPE_ICONS: Record<string, string> = { single: '◉', multiple: '☑', ranking: '⇅', rating: '★', 'yes-no': '✓', text: '✎', district: '⌂' };

export function buildBuilderModel(input: { definition: Json; errors: Map<string, string>; bureau: Bureau; locale: Locale; translate: (key: string, params?: Record<string, unknown>) => string; action: string; previewHref: string; jsonText?: string }) {
  const { definition, errors, translate, locale } = input;
  const field = (name: string, value: unknown): FieldVM => ({ name, id: fieldId(name), value: text(value), error: errors.get(name) });
  const pair = (prefix: string, object: unknown) => {
    const o = (object ?? {}) as Json;
    return { zh: field(`${prefix}.zh-CN`, o['zh-CN']), en: field(`${prefix}.en`, o.en), error: errors.get(prefix) };
  };
  const number = (name: string, value: unknown, min: number, max: number) => ({ ...field(name, value), min, max });
  const settings = (typeof definition.settings === 'object' && definition.settings !== null ? definition.settings : {}) as Json;
  const all = (Array.isArray(definition.questions) ? (definition.questions as unknown[]) : []).filter((q): q is Json => typeof q === 'object' && q !== null && !Array.isArray(q));
  const titleOf = (question: Json) => text((question.title as Json | undefined)?.[locale]) || text((question.title as Json | undefined)?.[locale === 'en' ? 'zh-CN' : 'en']);

  /** The answers a later question's condition may tick, for the question types that can be conditions. */
  const answersOf = (question: Json): Array<{ value: string; label: string }> | undefined => {
    const type = String(question.type);
    if (type === 'single' || type === 'multiple') {
      const options = (Array.isArray(question.options) ? (question.options as Json[]) : []).filter((o) => typeof o === 'object' && o !== null).map((o) => ({ value: text(o.id), label: text((o.label as Json | undefined)?.[locale]) || text(o.id) }));
      return question.other === true ? [...options, { value: 'other', label: translate('survey.other') }] : options;
    }
    if (type === 'yes-no') return [{ value: 'yes', label: translate('survey.yes') }, { value: 'no', label: translate('survey.no') }];
    if (type === 'rating') return Array.from({ length: Number(question.scale) === 10 ? 10 : 5 }, (_, k) => ({ value: String(k + 1), label: String(k + 1) }));
    if (type === 'district') return input.bureau.districts.map((d) => ({ value: d.id, label: d.name[locale] }));
    return undefined;
  };

  const questions = all.map((question, index) => {
    const at = `q.${index}`;
    const type = String(question.type);
    const options = (Array.isArray(question.options) ? (question.options as Json[]) : []).filter((o) => typeof o === 'object' && o !== null);
    const lines = (language: Locale) => options.map((o) => text((o.label as Json | undefined)?.[language])).join('\n');
    const showIf = (typeof question.showIf === 'object' && question.showIf !== null ? question.showIf : {}) as Json;
    const ticked = new Set(Array.isArray(showIf.anyOf) ? showIf.anyOf.map(text) : []);
    const earlier = all.slice(0, index).map((source, k) => ({ source, number: k + 1, answers: answersOf(source) })).filter((e) => e.answers && e.source.id);
    const conditionGroups = earlier.map(({ source, number, answers }) => {
      const selected = text(source.id) === text(showIf.question);
      const name = `${at}.showIf.answers.${text(source.id)}`;
      return {
        source: text(source.id),
        legend: translate('staff.builder.showIfTick', { number, title: titleOf(source) }),
        hidden: !selected,
        answers: answers!.map((answer, k) => ({ name, id: `${fieldId(name)}-${k}`, value: answer.value, label: answer.label, checked: selected && ticked.has(answer.value) })),
      };
    });
    return {
      index,
      anchor: `question-${index}`,
      number: index + 1,
      type,
      typeLabel: translate(`staff.builder.types.${type}`),
      typeIcon: TYPE_ICONS[type] ?? '?',
      typeField: field(`${at}.type`, type),
      idBefore: field(`${at}.idBefore`, question.id),
      id: field(`${at}.id`, question.id),
      title: pair(`${at}.title`, question.title),
      help: pair(`${at}.help`, question.help),
      required: { ...field(`${at}.required`, ''), checked: question.required === true },
      canOther: ['single', 'multiple', 'ranking', 'district'].includes(type),
      other: { ...field(`${at}.other`, ''), checked: question.other === true },
      hasOptions: CHOICE_TYPES.includes(type),
      optionsZh: field(`${at}.options.zh-CN`, lines('zh-CN')),
      optionsEn: field(`${at}.options.en`, lines('en')),
      optionState: field(`${at}.optionState`, optionState(options)),
      // One line per option, and room for a few more.
      optionRows: Math.min(Math.max(options.length + 2, 5), 14),
      optionIds: options.map((o) => text(o.id)).join(', '),
      optionsError: errors.get(`${at}.options`),
      isMultiple: type === 'multiple',
      minSelections: number(`${at}.minSelections`, question.minSelections, 0, 40),
      maxSelections: number(`${at}.maxSelections`, question.maxSelections, 1, 40),
      isRanking: type === 'ranking',
      rankCount: number(`${at}.rankCount`, question.rankCount, 1, 10),
      isRating: type === 'rating',
      scale: { ...field(`${at}.scale`, question.scale), five: Number(question.scale) !== 10, ten: Number(question.scale) === 10 },
      lowLabel: pair(`${at}.lowLabel`, question.lowLabel),
      highLabel: pair(`${at}.highLabel`, question.highLabel),
      isText: type === 'text',
      maxLength: number(`${at}.maxLength`, question.maxLength, 1, 5000),
      multilineBox: { ...field(`${at}.multiline`, ''), checked: question.multiline === true },
      isDistrict: type === 'district',
      districts: input.bureau.districts.map((d) => d.name[locale]).join(locale === 'en' ? ', ' : '、'),
      hasEarlier: conditionGroups.length > 0,
      showIfQuestion: field(`${at}.showIf.question`, showIf.question),
      showIfChoices: earlier.map(({ source, number }) => ({ value: text(source.id), label: translate('staff.builder.showIfChoice', { number, title: titleOf(source) }), selected: text(source.id) === text(showIf.question) })),
      conditionGroups,
      showIfError: errors.get(`${at}.showIf`) ?? errors.get(`${at}.showIf.question`),
      conditionAction: `condition:${index}`,
      error: errors.get(at),
      upAction: index > 0 ? `move-up:${index}` : null,
      downAction: index < all.length - 1 ? `move-down:${index}` : null,
      removeAction: `remove-question:${index}`,
    };
  });
  const errorSummary = [...errors.entries()].map(([name, message]) => ({ href: `#${fieldId(name)}`, message: `${fieldLabel(name, translate)}: ${message}` }));
  return {
    action: input.action,
    previewHref: input.previewHref,
    previewLocale: { zh: `${input.previewHref}?preview=zh-CN`, en: `${input.previewHref}?preview=en`, current: `${input.previewHref}?preview=${locale}` },
    slug: field('slug', definition.slug),
    defaultLocale: { ...field('defaultLocale', definition.defaultLocale), zh: definition.defaultLocale !== 'en', en: definition.defaultLocale === 'en' },
    title: pair('title', definition.title),
    description: pair('description', definition.description),
    votePolicy: { ...field('settings.votePolicy', settings.votePolicy), browser: settings.votePolicy !== 'invitation', invitation: settings.votePolicy === 'invitation' },
    publicResults: { ...field('settings.publicResults', settings.publicResults), never: settings.publicResults === 'never', always: settings.publicResults === 'always', afterClose: settings.publicResults === 'after-close' },
    anonymity: { ...field('settings.anonymity', settings.anonymity), anonymous: settings.anonymity !== 'confidential', confidential: settings.anonymity === 'confidential' },
    responseCap: number('settings.responseCap', settings.responseCap, 1, 100000000),
    thankYou: pair('settings.thankYou', settings.thankYou),
    questions,
    questionsError: errors.get('questions'),
    jsonError: errors.get('definitionJson'),
    jsonText: input.jsonText ?? '',
    questionTypes: QUESTION_TYPES.map((value) => ({ value, label: translate(`staff.builder.types.${value}`), description: translate(`staff.builder.typeHints.${value}`), icon: TYPE_ICONS[value], action: `add-question:${value}` })),
    errorSummary,
    hasErrors: errorSummary.length > 0,
  };
}
