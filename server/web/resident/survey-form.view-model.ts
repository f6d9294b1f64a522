/** Builds the plain view-model of a survey form: questions with their inputs, the resident's answers so far, and errors. */
import type { Bureau } from '../../models/bureau.model.js';
import { OTHER_OPTION_ID, type Locale, type Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import { otherField, rankField, type RawForm } from '../../services/voting/vote-form-parser.js';
import { OTHER_TEXT_MAX_LENGTH } from '../../services/surveys/answer-validator.js';
import type { QuestionError } from './vote-error-messages.js';

/**
 * The maxlength attribute of a text field. Browsers count UTF-16 units (an emoji is two), the server and the
 * counter count characters (code points): twice the limit lets every answer the server accepts be typed, and
 * still stops a paste of a whole document. Past the limit, the counter and the server say so.
 */
const inputMaxLength = (characters: number) => 2 * characters;

export interface SurveyFormInput {
  bureau: Bureau;
  survey: Survey;
  locale: Locale;
  /** The fields the resident sent, when the form comes back after a mistake. */
  values?: RawForm;
  errors?: QuestionError[];
  codeError?: string;
  notice?: string;
}

interface ChoiceVM {
  value: string;
  inputId: string;
  label: string;
  checked: boolean;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function surveyPath(bureau: Pick<Bureau, 'slug'>, survey: Pick<Survey, 'slug'>): string {
  return `/b/${bureau.slug}/s/${survey.slug}`;
}

export function buildSurveyFormModel(input: SurveyFormInput) {
  const { bureau, survey, locale } = input;
  const values = input.values ?? {};
  const errorOf = new Map((input.errors ?? []).map((e) => [e.questionId, e.message]));
  const otherTextErrors = new Set((input.errors ?? []).filter((e) => e.aboutOtherText).map((e) => e.questionId));
  const text = (t: { 'zh-CN': string; en: string } | undefined) => (t ? t[locale] || t['zh-CN'] : '');
  const byId = new Map(survey.questions.map((q) => [q.id, q]));

  const questions = survey.questions.map((question, index) => {
    const base = `q-${question.id}`;
    const chosen = asList(values[question.id]);
    const choice = (value: string, label: string, suffix = value): ChoiceVM => ({ value, inputId: `${base}-${suffix}`, label, checked: chosen.includes(value) });
    const hasOther = 'other' in question && question.other === true;
    const other = hasOther
      ? { ...choice(OTHER_OPTION_ID, ''), inputMaxLength: inputMaxLength(OTHER_TEXT_MAX_LENGTH), textId: `${base}-other-text`, textName: otherField(question.id), textValue: typeof values[otherField(question.id)] === 'string' ? values[otherField(question.id)] : '' }
      : null;
    const error = errorOf.get(question.id);
    const condition = question.showIf ? describeCondition(question, byId, locale) : null;

    const vm: Record<string, unknown> = {
      id: question.id,
      // Without JavaScript every question shows, numbered in order; survey.js numbers the ones it shows.
      number: index + 1,
      type: question.type,
      partial: `resident/questions/${question.type}`,
      title: text(question.title),
      help: text(question.help),
      required: question.required,
      error,
      errorId: `${base}-error`,
      describedBy: [question.help ? `${base}-hint` : '', error ? `${base}-error` : ''].filter(Boolean).join(' ') || null,
      hintId: `${base}-hint`,
      blockId: `${base}-block`,
      name: question.id,
      firstInputId: `${base}-input`,
      showIf: question.showIf ? JSON.stringify(question.showIf) : null,
      condition,
      other,
    };

    switch (question.type) {
      case 'single':
      case 'multiple':
        vm.options = question.options.map((o) => choice(o.id, text(o.label)));
        if (question.type === 'multiple') {
          const min = question.minSelections ?? 0;
          const max = question.maxSelections ?? question.options.length + (hasOther ? 1 : 0);
          vm.selection = { min, max, hasMin: min > 1, hasMax: max < question.options.length + (hasOther ? 1 : 0) };
        }
        break;
      case 'yes-no':
        vm.options = [choice('yes', ''), choice('no', '')];
        break;
      case 'rating':
        vm.options = Array.from({ length: question.scale }, (_, i) => choice(String(i + 1), String(i + 1)));
        vm.lowLabel = text(question.lowLabel);
        vm.highLabel = text(question.highLabel);
        vm.scale = question.scale;
        break;
      case 'district':
        vm.districts = bureau.districts.map((d) => ({ value: d.id, label: text(d.name), selected: chosen.includes(d.id) }));
        vm.otherSelected = chosen.includes(OTHER_OPTION_ID);
        break;
      case 'ranking': {
        const items = [...question.options.map((o) => ({ value: o.id, label: text(o.label) })), ...(hasOther ? [{ value: OTHER_OPTION_ID, label: '' }] : [])];
        vm.items = items;
        vm.rankCount = question.rankCount;
        vm.ranks = Array.from({ length: question.rankCount }, (_, i) => {
          const selected = values[rankField(question.id, i + 1)];
          return {
            rank: i + 1,
            selectId: i === 0 ? `${base}-input` : `${base}-rank-${i + 1}`,
            name: rankField(question.id, i + 1),
            options: items.map((item) => ({ ...item, selected: selected === item.value, isOther: item.value === OTHER_OPTION_ID })),
          };
        });
        break;
      }
      case 'text': {
        const value = typeof values[question.id] === 'string' ? (values[question.id] as string) : '';
        vm.value = value;
        vm.maxLength = question.maxLength;
        vm.inputMaxLength = inputMaxLength(question.maxLength);
        vm.multiline = question.multiline === true;
        vm.countId = `${base}-count`;
        break;
      }
    }
    // The first input of a choice group carries the id the error summary links to.
    const options = vm.options as ChoiceVM[] | undefined;
    if (options?.[0]) options[0].inputId = `${base}-input`;
    return vm;
  });

  const errorSummary = [
    ...(input.codeError ? [{ href: '#code', message: input.codeError }] : []),
    ...questions.filter((q) => q.error).map((q) => ({ href: `#${otherTextErrors.has(String(q.id)) ? `q-${String(q.id)}-other-text` : String(q.firstInputId)}`, message: q.error })),
  ];
  return {
    pageTitle: text(survey.title),
    bureau: { name: text(bureau.name), href: `/b/${bureau.slug}` },
    survey: {
      title: text(survey.title),
      description: text(survey.description),
      action: surveyPath(bureau, survey),
      confidential: survey.settings.anonymity === 'confidential',
      invitation: survey.settings.votePolicy === 'invitation',
    },
    questions,
    errorSummary,
    hasErrors: errorSummary.length > 0,
    notice: input.notice,
    codeError: input.codeError,
    scripts: ['/static/js/survey.js'],
  };
}

/** "Answer only if you answered X to Y", for residents without JavaScript, who see every question. */
function describeCondition(question: Question, byId: Map<string, Question>, locale: Locale): { question: string; answer: string } | null {
  const source = question.showIf ? byId.get(question.showIf.question) : undefined;
  if (!source || !question.showIf) return null;
  const label = (value: string): string => {
    if ('options' in source) {
      const option = source.options.find((o) => o.id === value);
      if (option) return option.label[locale];
    }
    if (source.type === 'yes-no') return value === 'yes' ? (locale === 'en' ? 'Yes' : '是') : locale === 'en' ? 'No' : '否';
    return value;
  };
  return { question: source.title[locale], answer: question.showIf.anyOf.map(label).join(locale === 'en' ? '” or “' : '”或“') };
}
