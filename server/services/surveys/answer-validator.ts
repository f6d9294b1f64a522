/**
 * Builds, from a survey's questions, the JSON Schema a resident's answers must meet, compiles it once and
 * caches it per survey revision. Answers to questions hidden by their condition are dropped before checking.
 */
import type { ValidateFunction } from 'ajv';
import { ValidationError } from '../../errors/index.js';
import type { AnswerValue } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Question } from '../../models/survey-definition.types.js';
import { toFieldProblems, type Ajv } from '../validation/ajv.js';

export interface Submission {
  answers: Record<string, AnswerValue>;
  otherText: Record<string, string>;
}

export const OTHER_TEXT_MAX_LENGTH = 200;

/** Ids a choice question accepts, including "other" when offered. */
export function choiceIds(question: Question, districtIds: readonly string[]): string[] {
  const withOther = (ids: string[]) => ('other' in question && question.other ? [...ids, OTHER_OPTION_ID] : ids);
  switch (question.type) {
    case 'single':
    case 'multiple':
    case 'ranking':
      return withOther(question.options.map((option) => option.id));
    case 'district':
      return withOther([...districtIds]);
    case 'yes-no':
      return ['yes', 'no'];
    default:
      return [];
  }
}

function answerSchema(question: Question, districtIds: readonly string[]): Record<string, unknown> {
  const ids = choiceIds(question, districtIds);
  switch (question.type) {
    case 'single':
    case 'district':
    case 'yes-no':
      return { type: 'string', enum: ids };
    case 'multiple':
      return {
        type: 'array',
        items: { type: 'string', enum: ids },
        uniqueItems: true,
        minItems: Math.max(1, question.minSelections ?? 1),
        maxItems: question.maxSelections ?? ids.length,
      };
    case 'ranking': {
      const count = Math.min(question.rankCount, ids.length);
      return { type: 'array', items: { type: 'string', enum: ids }, uniqueItems: true, minItems: count, maxItems: count };
    }
    case 'rating':
      return { type: 'integer', minimum: 1, maximum: question.scale };
    case 'text':
      return { type: 'string', minLength: 1, maxLength: question.maxLength };
  }
}

/** What an earlier answer must look like for a condition on it to hold. */
function conditionSchema(source: Question, anyOf: string[]): Record<string, unknown> {
  if (source.type === 'multiple' || source.type === 'ranking') return { type: 'array', contains: { enum: anyOf } };
  if (source.type === 'rating') return { enum: anyOf.map(Number) };
  return { enum: anyOf };
}

function matchesCondition(source: Question, answer: AnswerValue | undefined, anyOf: string[]): boolean {
  if (answer === undefined) return false;
  if (Array.isArray(answer)) return answer.some((value) => anyOf.includes(value));
  return anyOf.includes(String(answer));
}

/** The questions a resident is shown, given their answers so far (conditions may chain). */
export function visibleQuestionIds(questions: readonly Question[], answers: Record<string, AnswerValue>): Set<string> {
  const byId = new Map(questions.map((q) => [q.id, q]));
  const visible = new Set<string>();
  for (const question of questions) {
    const condition = question.showIf;
    if (!condition) {
      visible.add(question.id);
      continue;
    }
    const source = byId.get(condition.question);
    if (source && visible.has(source.id) && matchesCondition(source, answers[source.id], condition.anyOf)) visible.add(question.id);
  }
  return visible;
}

export function buildSubmissionSchema(questions: readonly Question[], districtIds: readonly string[]): Record<string, unknown> {
  const byId = new Map(questions.map((q) => [q.id, q]));
  const answerProperties: Record<string, unknown> = {};
  const required: string[] = [];
  const conditions: unknown[] = [];
  const otherProperties: Record<string, unknown> = {};
  const otherRules: unknown[] = [];
  for (const question of questions) {
    answerProperties[question.id] = answerSchema(question, districtIds);
    const source = question.showIf ? byId.get(question.showIf.question) : undefined;
    if (question.showIf && source) {
      conditions.push({
        if: { type: 'object', properties: { [source.id]: conditionSchema(source, question.showIf.anyOf) }, required: [source.id] },
        then: question.required ? { type: 'object', required: [question.id] } : true,
        else: { not: { type: 'object', required: [question.id] } },
      });
    } else if (question.required) {
      required.push(question.id);
    }
    if ('other' in question && question.other) {
      otherProperties[question.id] = { type: 'string', minLength: 1, maxLength: OTHER_TEXT_MAX_LENGTH };
      const chose = question.type === 'single' || question.type === 'district' ? { const: OTHER_OPTION_ID } : { type: 'array', contains: { const: OTHER_OPTION_ID } };
      otherRules.push({
        if: { type: 'object', properties: { answers: { type: 'object', properties: { [question.id]: chose }, required: [question.id] } }, required: ['answers'] },
        then: { type: 'object', properties: { otherText: { type: 'object', required: [question.id] } } },
        else: { type: 'object', properties: { otherText: { not: { type: 'object', required: [question.id] } } } },
      });
    }
  }
  return {
    type: 'object',
    additionalProperties: false,
    required: ['answers', 'otherText'],
    properties: {
      // JSON Schema forbids an empty allOf: leave it out when the survey has no conditions or "other" options.
      answers: { type: 'object', additionalProperties: false, properties: answerProperties, required, ...(conditions.length > 0 ? { allOf: conditions } : {}) },
      otherText: { type: 'object', additionalProperties: false, properties: otherProperties },
    },
    ...(otherRules.length > 0 ? { allOf: otherRules } : {}),
  };
}

export class CompiledAnswerValidator {
  constructor(
    private readonly questions: readonly Question[],
    private readonly validateFn: ValidateFunction,
  ) {}

  /** Drops answers to hidden questions, then checks the rest; throws ValidationError with one problem per field. */
  validate(submission: Submission): Submission {
    const visible = visibleQuestionIds(this.questions, submission.answers);
    const known = new Set(this.questions.map((q) => q.id));
    const keep = (id: string) => visible.has(id) || !known.has(id); // unknown ids stay, so the schema refuses them
    const cleaned: Submission = {
      answers: Object.fromEntries(Object.entries(submission.answers).filter(([id]) => keep(id))),
      otherText: Object.fromEntries(Object.entries(submission.otherText).filter(([id]) => keep(id))),
    };
    if (!this.validateFn(cleaned)) throw new ValidationError(toFieldProblems(this.validateFn.errors), 'Some answers need attention.');
    return cleaned;
  }
}

/** Compiled validators per survey revision; a new revision replaces the old entry and frees its schema. */
export class AnswerValidatorCache {
  private readonly entries = new Map<string, { revisionKey: string; schema: object; validator: CompiledAnswerValidator }>();

  constructor(private readonly ajv: Ajv) {}

  get(surveyId: string, revision: number, questions: readonly Question[], districtIds: readonly string[]): CompiledAnswerValidator {
    const revisionKey = `${revision}|${districtIds.join(',')}`;
    const cached = this.entries.get(surveyId);
    if (cached?.revisionKey === revisionKey) return cached.validator;
    if (cached) this.ajv.removeSchema(cached.schema);
    const schema = buildSubmissionSchema(questions, districtIds);
    const validator = new CompiledAnswerValidator(questions, this.ajv.compile(schema));
    this.entries.set(surveyId, { revisionKey, schema, validator });
    return validator;
  }
}
