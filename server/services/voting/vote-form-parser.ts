/**
 * Reads a survey form post (application/x-www-form-urlencoded, simple parser) into a Submission. A form we
 * did not make (unknown or $-prefixed fields, a repeated single-value field) is refused with a 400; a
 * resident's mistakes are left for the answer validator, except ranks filled out of order.
 */
import { BadRequestError, type FieldProblem } from '../../errors/index.js';
import type { AnswerValue } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Question } from '../../models/survey-definition.types.js';
import type { Submission } from '../surveys/answer-validator.js';

export const FORM_TOKEN_FIELD = '_form';
export const HONEYPOT_FIELD = 'website';
export const CODE_FIELD = 'code';

export type RawForm = Record<string, string | string[]>;

export interface ParsedVoteForm {
  token: string | undefined;
  honeypot: string;
  code: string | undefined;
  submission: Submission;
  problems: FieldProblem[];
  /** The fields as sent, to put the resident's answers back into the form after a mistake. */
  raw: RawForm;
}

export const rankField = (questionId: string, rank: number) => `${questionId}.rank.${rank}`;
export const otherField = (questionId: string) => `${questionId}.other`;

/** Every field name a survey form may send, and whether it may repeat. */
function allowedFields(questions: readonly Question[]): Map<string, 'one' | 'many'> {
  const fields = new Map<string, 'one' | 'many'>([
    [FORM_TOKEN_FIELD, 'one'],
    [HONEYPOT_FIELD, 'one'],
    [CODE_FIELD, 'one'],
  ]);
  for (const question of questions) {
    if (question.type === 'ranking') {
      for (let rank = 1; rank <= question.rankCount; rank += 1) fields.set(rankField(question.id, rank), 'one');
    } else {
      fields.set(question.id, question.type === 'multiple' ? 'many' : 'one');
    }
    if ('other' in question && question.other) fields.set(otherField(question.id), 'one');
  }
  return fields;
}

const clean = (value: string) => value.replace(/\r\n/g, '\n').trim();

export function parseVoteForm(body: unknown, questions: readonly Question[]): ParsedVoteForm {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('Send the survey as a form.');
  const allowed = allowedFields(questions);
  const raw: RawForm = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name.startsWith('$') || name.includes('$')) throw new BadRequestError(`The form field "${name}" is not allowed.`);
    const kind = allowed.get(name);
    if (!kind) throw new BadRequestError(`The form contains a field that is not part of this survey: "${name.slice(0, 60)}".`);
    if (Array.isArray(value)) {
      if (kind === 'one') throw new BadRequestError(`The form field "${name}" was sent more than once.`);
      if (!value.every((item) => typeof item === 'string')) throw new BadRequestError(`The form field "${name}" is malformed.`);
      raw[name] = value as string[];
    } else if (typeof value === 'string') {
      raw[name] = value;
    } else {
      throw new BadRequestError(`The form field "${name}" is malformed.`);
    }
  }

  const single = (name: string): string | undefined => {
    const value = raw[name];
    if (typeof value !== 'string') return undefined;
    const trimmed = clean(value);
    return trimmed === '' ? undefined : trimmed;
  };

  const answers: Record<string, AnswerValue> = {};
  const otherText: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  for (const question of questions) {
    let answer: AnswerValue | undefined;
    switch (question.type) {
      case 'multiple': {
        const value = raw[question.id];
        const list = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(clean).filter((v) => v !== '');
        if (list.length > 0) answer = list;
        break;
      }
      case 'ranking': {
        const ranks = Array.from({ length: question.rankCount }, (_, i) => single(rankField(question.id, i + 1)));
        const lastFilled = ranks.findLastIndex((rank) => rank !== undefined);
        if (lastFilled >= 0) {
          if (ranks.slice(0, lastFilled).some((rank) => rank === undefined)) {
            problems.push({ pointer: `/answers/${question.id}`, message: 'ranks must be filled in order', reason: 'rankGap' });
          }
          answer = ranks.filter((rank): rank is string => rank !== undefined);
        }
        break;
      }
      case 'rating': {
        const value = single(question.id);
        // A non-number stays a string, which the validator then refuses as the wrong type.
        if (value !== undefined) answer = /^\d{1,3}$/.test(value) ? Number(value) : value;
        break;
      }
      default:
        answer = single(question.id);
    }
    if (answer === undefined) continue;
    answers[question.id] = answer;
    const choseOther = Array.isArray(answer) ? answer.includes(OTHER_OPTION_ID) : answer === OTHER_OPTION_ID;
    const other = 'other' in question && question.other ? single(otherField(question.id)) : undefined;
    if (choseOther && other !== undefined) otherText[question.id] = other;
  }

  return {
    token: typeof raw[FORM_TOKEN_FIELD] === 'string' ? raw[FORM_TOKEN_FIELD] : undefined,
    honeypot: typeof raw[HONEYPOT_FIELD] === 'string' ? raw[HONEYPOT_FIELD] : '',
    code: single(CODE_FIELD),
    submission: { answers, otherText },
    problems,
    raw,
  };
}
