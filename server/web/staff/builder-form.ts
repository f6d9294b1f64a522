/**
 * The survey builder works without JavaScript: the whole definition travels in one form with flat field
 * names ("q.2.title.en"), and each button (add, remove, move) changes the definition on the server and
 * shows the form again. Only "save" stores it. This module maps between the two shapes.
 */
import type { RawForm } from '../../services/voting/vote-form-parser.js';
import type { QuestionType } from '../../models/survey-definition.types.js';

type Json = Record<string, unknown>;

const LOCALES = ['zh-CN', 'en'] as const;
export const QUESTION_TYPES: QuestionType[] = ['single', 'multiple', 'ranking', 'rating', 'yes-no', 'text', 'district'];
export const CHOICE_TYPES = ['single', 'multiple', 'ranking'];

// A repeated field (an array) is not something this form sends: it reads as empty, and the schema says what is missing.
const str = (form: RawForm, name: string): string => {
  const value = form[name];
  return typeof value === 'string' ? value.replace(/\r\n?/g, '\n').trim() : '';
};
/** A group of checkboxes sends one value per ticked box: none, one string, or an array. */
const all = (form: RawForm, name: string): string[] => {
  const value = form[name];
  return (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).filter((v) => typeof v === 'string' && v !== '');
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

export interface OptionLine {
  id: string;
  'zh-CN': string;
  en: string;
}

/** The options as the form showed them, so their ids survive an edit of the lines (a hidden field, hence defensive). */
export function parseOptionState(text: string): OptionLine[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((o): o is [unknown, unknown, unknown] => Array.isArray(o) && o.length === 3)
      .map(([id, zh, en]) => ({ id: String(id), 'zh-CN': String(zh), en: String(en) }));
  } catch {
    return [];
  }
}

export const optionState = (options: Array<{ id?: unknown; label?: unknown }>): string =>
  JSON.stringify(options.map((o) => [String(o.id ?? ''), String((o.label as Json | undefined)?.['zh-CN'] ?? ''), String((o.label as Json | undefined)?.en ?? '')]));

const IDENTIFIER = /^[a-z][a-z0-9_-]{0,39}$/;

/** An id made from an English label ("Phone fraud" → "phone-fraud"), or undefined when it makes none. */
function slugFrom(label: string): string | undefined {
  const slug = label.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 30).replace(/-+$/, '');
  return IDENTIFIER.test(slug) ? slug : undefined;
}

/**
 * Options from one line per option in each language (or, pasted from a spreadsheet, "中文<Tab>English" lines
 * in the Chinese box). An option keeps its id while its Chinese or its English text stays the same, so a
 * wording fix in one language keeps its answers; a line with both texts new is a new option (never an old
 * id reused for a different meaning), with an id made from its English text, else "opt-N".
 */
export function optionsFromLines(zhText: string, enText: string, before: OptionLine[]): OptionLine[] {
  const split = (text: string) => text.replace(/\r\n?/g, '\n').split('\n');
  let zh = split(zhText);
  let en = split(enText);
  if (enText.trim() === '' && zh.some((line) => line.includes('\t'))) {
    en = zh.map((line) => line.split('\t')[1] ?? '');
    zh = zh.map((line) => line.split('\t')[0] ?? '');
  }
  const lines = Array.from({ length: Math.max(zh.length, en.length) }, (_, k) => ({ 'zh-CN': (zh[k] ?? '').trim(), en: (en[k] ?? '').trim() }))
    // A tab left over from a spreadsheet is not part of a label.
    .map((line) => ({ 'zh-CN': line['zh-CN'].replace(/\t+/g, ' '), en: line.en.replace(/\t+/g, ' ') }))
    .filter((line) => line['zh-CN'] !== '' || line.en !== '');
  const ids: Array<string | undefined> = lines.map(() => undefined);
  const claimed = new Set<number>();
  lines.forEach((line, k) => {
    const b = before.findIndex((old, i) => !claimed.has(i) && ((line['zh-CN'] !== '' && old['zh-CN'] === line['zh-CN']) || (line.en !== '' && old.en === line.en)));
    if (b >= 0) {
      ids[k] = before[b]!.id;
      claimed.add(b);
    }
  });
  const used = new Set([...before.map((o) => o.id), ...ids.filter((id): id is string => id !== undefined)]);
  return lines.map((line, k) => {
    let id = ids[k];
    if (id === undefined) {
      const fromLabel = slugFrom(line.en);
      if (fromLabel && fromLabel !== 'other' && !used.has(fromLabel)) id = fromLabel;
      else {
        let n = k + 1;
        while (used.has(`opt-${n}`)) n += 1;
        id = `opt-${n}`;
      }
      used.add(id);
    }
    return { id, ...line };
  });
}

export function formToDefinition(form: RawForm): Json {
  const renamed = new Map<string, string>();
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
    const idBefore = str(form, `${at}.idBefore`);
    if (idBefore && idBefore !== question.id) renamed.set(idBefore, String(question.id));
    const showIfQuestion = str(form, `${at}.showIf.question`);
    if (showIfQuestion) {
      // The boxes are named after the question they belong to, so boxes of a question no longer chosen do not count.
      question.showIf = { question: showIfQuestion, anyOf: [...new Set(all(form, `${at}.showIf.answers.${showIfQuestion}`))] };
    }
    if (CHOICE_TYPES.includes(type)) {
      const before = parseOptionState(str(form, `${at}.optionState`));
      question.options = optionsFromLines(str(form, `${at}.options.zh-CN`), str(form, `${at}.options.en`), before).map((o) => ({ id: o.id, label: { 'zh-CN': o['zh-CN'], en: o.en } }));
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
  // A question whose id was changed keeps the conditions that point at it.
  for (const question of questions) {
    const showIf = question.showIf as { question: string } | undefined;
    const to = showIf && renamed.get(showIf.question);
    if (showIf && to && !questions.some((q) => q.id === showIf.question)) showIf.question = to;
  }
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

/** A new question of the type, with empty options to type for choice types, and an id not yet used. */
export function blankQuestion(type: QuestionType, existingIds: string[]): Json {
  let n = existingIds.length + 1;
  while (existingIds.includes(`q${n}`)) n += 1;
  const question: Json = { id: `q${n}`, type, title: blankText(), required: true };
  if (CHOICE_TYPES.includes(type)) question.options = [];
  if (type === 'ranking') question.rankCount = 3;
  if (type === 'rating') Object.assign(question, { scale: 5, lowLabel: blankText(), highLabel: blankText() });
  if (type === 'text') Object.assign(question, { maxLength: 500, multiline: true, required: false });
  return question;
}

/**
 * Applies one builder button to the definition. Returns the index of the question to show next (the one
 * added, moved or next to the one removed), -1 when there is none left, or null for an action it does not know.
 */
export function applyBuilderAction(definition: Json, action: string, newType?: string): number | null {
  const questions = (definition.questions as Json[] | undefined) ?? [];
  definition.questions = questions;
  const [verb, a, b] = action.split(':');
  const i = Number(a);
  const j = Number(b);
  switch (verb) {
    case 'add-question': {
      // The type comes from the card's button ("add-question:rating"), or from a select beside one "Add" button.
      const type = a ?? newType;
      if (!QUESTION_TYPES.includes(type as QuestionType) || questions.length >= 60) return null;
      questions.push(blankQuestion(type as QuestionType, questions.map((q) => String(q.id))));
      return questions.length - 1;
    }
    case 'remove-question':
      if (!questions[i]) return null;
      questions.splice(i, 1);
      return Math.min(i, questions.length - 1);
    case 'move-up':
    case 'move-down':
      return move(questions, i, verb === 'move-up' ? i - 1 : i + 1);
    case 'move':
      return move(questions, i, j);
    case 'condition':
      // The answers to tick come from the server: without JavaScript after choosing the question, and with it
      // after its options were edited (their ids are made here).
      return questions[i] ? i : null;
    default:
      return null;
  }
}

function move(questions: Json[], from: number, to: number): number | null {
  if (!Number.isInteger(from) || !Number.isInteger(to) || !questions[from] || !questions[to]) return null;
  const [question] = questions.splice(from, 1);
  questions.splice(to, 0, question!);
  return to;
}

/**
 * "/questions/2/title/en" → "q.2.title.en", the form field the problem belongs to. An option's text belongs
 * to the box of its language; its line number is returned so the message can name it.
 */
export function pointerToField(pointer: string): { field: string; line?: number } {
  const parts = pointer.split('/').slice(1);
  if (parts[0] === 'questions') parts[0] = 'q';
  if (parts[0] === 'q' && parts[2] === 'options' && parts[3] !== undefined) {
    const line = Number(parts[3]) + 1;
    const locale = parts[4] === 'label' && (parts[5] === 'zh-CN' || parts[5] === 'en') ? parts[5] : 'zh-CN';
    return { field: `q.${parts[1]}.options.${locale}`, line };
  }
  if (parts[0] === 'q' && parts[2] === 'showIf') return { field: `q.${parts[1]}.showIf` };
  return { field: parts.join('.') };
}
