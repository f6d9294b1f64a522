/**
 * The survey builder works without JavaScript: the whole definition travels in one form with flat field
 * names ("q.2.options.0.label.en"), and each button (add, remove, move) changes the definition on the
 * server and shows the form again. Only "save" stores it. This module maps between the two shapes.
 */
import type { RawForm } from '../../services/voting/vote-form-parser.js';
import type { QuestionType } from '../../models/survey-definition.types.js';

type Json = Record<string, unknown>;

const LOCALES = ['zh-CN', 'en'] as const;
export const QUESTION_TYPES: QuestionType[] = ['single', 'multiple', 'ranking', 'rating', 'yes-no', 'text', 'district'];

// A repeated field (an array) is not something this form sends: it reads as empty, and the schema says what is missing.
const str = (form: RawForm, name: string): string => {
  const value = form[name];
  return typeof value === 'string' ? value.replace(/\r\n/g, '\n').trim() : '';
};

function localized(form: RawForm, prefix: string, optional = false): Json | undefined {
  const text = Object.fromEntries(LOCALES.map((l) => [l, str(form, `${prefix}.${l}`)]));
  if (optional && LOCALES.every((l) => text[l] === '')) return undefined;
  return text;
}

/** A whole number when the field holds one; otherwise the text, so the schema names the problem. */
function numberOrText(form: RawForm, name: string): number | string | undefined {
  const value = str(form, name);
  if (value === '') return undefined;
  return /^\d{1,9}$/.test(value) ? Number(value) : value;
}

function indexes(form: RawForm, pattern: RegExp): number[] {
  const found = new Set<number>();
  for (const name of Object.keys(form)) {
    const match = pattern.exec(name);
    if (match) found.add(Number(match[1]));
  }
  return [...found].sort((a, b) => a - b);
}

const clean = (object: Json): Json => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

export function formToDefinition(form: RawForm): Json {
  const questions = indexes(form, /^q\.(\d{1,3})\.type$/).map((i) => {
    const at = `q.${i}`;
    const type = str(form, `${at}.type`);
    const question: Json = {
      id: str(form, `${at}.id`),
      type,
      title: localized(form, `${at}.title`),
      help: localized(form, `${at}.help`, true),
      required: form[`${at}.required`] === 'on',
    };
    const showIfQuestion = str(form, `${at}.showIf.question`);
    if (showIfQuestion) {
      question.showIf = { question: showIfQuestion, anyOf: str(form, `${at}.showIf.anyOf`).split(/[,，\s]+/).filter(Boolean) };
    }
    if (type === 'single' || type === 'multiple' || type === 'ranking') {
      question.options = indexes(form, new RegExp(`^q\\.${i}\\.options\\.(\\d{1,3})\\.id$`)).map((j) => ({
        id: str(form, `${at}.options.${j}.id`),
        label: localized(form, `${at}.options.${j}.label`),
      }));
    }
    if (type === 'single' || type === 'multiple' || type === 'ranking' || type === 'district') question.other = form[`${at}.other`] === 'on';
    if (type === 'multiple') {
      question.minSelections = numberOrText(form, `${at}.minSelections`);
      question.maxSelections = numberOrText(form, `${at}.maxSelections`);
    }
    if (type === 'ranking') question.rankCount = numberOrText(form, `${at}.rankCount`) ?? 3;
    if (type === 'rating') {
      question.scale = numberOrText(form, `${at}.scale`) ?? 5;
      question.lowLabel = localized(form, `${at}.lowLabel`);
      question.highLabel = localized(form, `${at}.highLabel`);
    }
    if (type === 'text') {
      question.maxLength = numberOrText(form, `${at}.maxLength`) ?? 500;
      question.multiline = form[`${at}.multiline`] === 'on';
    }
    return clean(question);
  });
  return {
    slug: str(form, 'slug'),
    defaultLocale: str(form, 'defaultLocale') || 'zh-CN',
    title: localized(form, 'title'),
    description: localized(form, 'description'),
    settings: clean({
      votePolicy: str(form, 'settings.votePolicy'),
      publicResults: str(form, 'settings.publicResults'),
      anonymity: str(form, 'settings.anonymity'),
      responseCap: numberOrText(form, 'settings.responseCap'),
      thankYou: localized(form, 'settings.thankYou', true),
    }),
    questions,
  };
}

const blankText = () => ({ 'zh-CN': '', en: '' });

/** A new question of the type, with placeholder options for choice types, and an id not yet used. */
export function blankQuestion(type: QuestionType, existingIds: string[]): Json {
  let n = existingIds.length + 1;
  while (existingIds.includes(`q${n}`)) n += 1;
  const question: Json = { id: `q${n}`, type, title: blankText(), required: true };
  if (type === 'single' || type === 'multiple' || type === 'ranking') {
    question.options = [
      { id: 'a', label: blankText() },
      { id: 'b', label: blankText() },
    ];
  }
  if (type === 'ranking') question.rankCount = 2;
  if (type === 'rating') Object.assign(question, { scale: 5, lowLabel: blankText(), highLabel: blankText() });
  if (type === 'text') Object.assign(question, { maxLength: 500, multiline: true, required: false });
  return question;
}

/** Applies one builder button to the definition. Returns false for an action it does not know. */
export function applyBuilderAction(definition: Json, action: string, newType?: string): boolean {
  const questions = (definition.questions as Json[] | undefined) ?? [];
  definition.questions = questions;
  const [verb, a, b] = action.split(':');
  const i = Number(a);
  const j = Number(b);
  switch (verb) {
    case 'add-question': {
      if (!QUESTION_TYPES.includes(newType as QuestionType)) return false;
      questions.push(blankQuestion(newType as QuestionType, questions.map((q) => String(q.id))));
      return true;
    }
    case 'remove-question':
      if (!questions[i]) return false;
      questions.splice(i, 1);
      return true;
    case 'move-up':
    case 'move-down': {
      const to = verb === 'move-up' ? i - 1 : i + 1;
      if (!questions[i] || !questions[to]) return false;
      [questions[i], questions[to]] = [questions[to]!, questions[i]!];
      return true;
    }
    case 'add-option': {
      const options = questions[i]?.options as Json[] | undefined;
      if (!options) return false;
      const ids = options.map((o) => String(o.id));
      let n = options.length + 1;
      while (ids.includes(`option-${n}`)) n += 1;
      options.push({ id: `option-${n}`, label: blankText() });
      return true;
    }
    case 'remove-option': {
      const options = questions[i]?.options as Json[] | undefined;
      if (!options?.[j]) return false;
      options.splice(j, 1);
      return true;
    }
    default:
      return false;
  }
}

/** "/questions/2/options/0/label/en" → "q.2.options.0.label.en", the form field the problem belongs to. */
export function pointerToField(pointer: string): string {
  const parts = pointer.split('/').slice(1);
  if (parts[0] === 'questions') parts[0] = 'q';
  return parts.join('.');
}
