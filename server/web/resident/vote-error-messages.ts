/** Puts a validation problem into words for the resident, in the page language, naming the question. */
import type { FieldProblem } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { Question } from '../../models/survey-definition.types.js';
import { OTHER_TEXT_MAX_LENGTH } from '../../services/surveys/answer-validator.js';

function messageKey(question: Question, problem: FieldProblem, isOther: boolean): string {
  const reason = problem.reason ?? '';
  if (isOther) {
    return reason === 'maxLength' ? 'otherTooLong' : 'otherMissing';
  }
  if (reason === 'rankGap') return 'rankGap';
  switch (question.type) {
    case 'ranking':
      if (reason === 'uniqueItems') return 'rankRepeat';
      if (reason === 'enum') return 'chooseListed';
      return 'rankAll';
    case 'multiple':
      if (reason === 'maxItems') return 'chooseAtMost';
      if (reason === 'enum') return 'chooseListed';
      return 'chooseAtLeast';
    case 'text':
      return reason === 'maxLength' ? 'tooLong' : 'enterText';
    default:
      return reason === 'enum' || reason === 'type' || reason === 'minimum' || reason === 'maximum' ? 'chooseListed' : 'chooseOne';
  }
}

/** When a field has several problems, the most specific one is the most useful to read. */
const REASON_PRIORITY = ['rankGap', 'uniqueItems', 'enum', 'type', 'maxItems', 'maxLength', 'minItems', 'minLength', 'required'];
const priority = (problem: FieldProblem) => {
  const index = REASON_PRIORITY.indexOf(problem.reason ?? '');
  return (problem.pointer.startsWith('/otherText') ? 100 : 0) + (index === -1 ? REASON_PRIORITY.length : index);
};

export interface QuestionError {
  questionId: string;
  message: string;
  /** The problem is with the "other, please specify" text, so the summary links to that field. */
  aboutOtherText: boolean;
}

/** One message per question (the first problem found), in question order. */
export function questionErrors(questions: readonly Question[], problems: readonly FieldProblem[], i18n: I18n, locale: Locale): QuestionError[] {
  const errors: QuestionError[] = [];
  for (const question of questions) {
    const problem = problems
      .filter((p) => p.pointer === `/answers/${question.id}` || p.pointer === `/otherText/${question.id}`)
      .sort((a, b) => priority(a) - priority(b))[0];
    if (!problem) continue;
    const isOther = problem.pointer.startsWith('/otherText');
    const params = {
      question: question.title[locale],
      min: question.type === 'multiple' ? Math.max(1, question.minSelections ?? 1) : 1,
      max: question.type === 'multiple' ? (question.maxSelections ?? question.options.length) : question.type === 'text' ? question.maxLength : OTHER_TEXT_MAX_LENGTH,
      count: question.type === 'ranking' ? question.rankCount : 0,
    };
    errors.push({ questionId: question.id, message: i18n.translate(locale, `vote.errors.${messageKey(question, problem, isOther)}`, params), aboutOtherText: isOther });
  }
  return errors;
}
