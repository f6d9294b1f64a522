/**
 * Checks a survey definition: first the JSON Schema (shape, lengths, types), then the rules a schema cannot
 * express (unique ids, conditions that point at earlier questions, selection limits that fit the options).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { ValidationError, type FieldProblem } from '../../errors/index.js';
import type { Question, SurveyDefinition } from '../../models/survey-definition.types.js';
import { OTHER_OPTION_ID } from '../../models/survey-definition.types.js';
import { projectRoot } from '../../paths.js';
import { toFieldProblems, type Ajv } from '../validation/ajv.js';

export const SURVEY_DEFINITION_SCHEMA_PATH = path.join('surveys', 'schemas', 'survey-definition.schema.json');

export class SurveyDefinitionValidator {
  private readonly validateSchema: ValidateFunction;

  constructor(ajv: Ajv) {
    const schema = JSON.parse(readFileSync(path.join(projectRoot(), SURVEY_DEFINITION_SCHEMA_PATH), 'utf8')) as { $id: string };
    this.validateSchema = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
  }

  /** Returns the definition with defaults filled in, or throws a ValidationError listing every problem. */
  validate(input: unknown): SurveyDefinition {
    if (!this.validateSchema(input)) throw new ValidationError(toFieldProblems(this.validateSchema.errors), 'The survey definition is not valid.');
    const definition = withDefaults(input as SurveyDefinition);
    const problems = semanticProblems(definition);
    if (problems.length > 0) throw new ValidationError(problems, 'The survey definition is not valid.');
    return definition;
  }
}

function withDefaults(definition: SurveyDefinition): SurveyDefinition {
  const { $schema: _ignored, ...rest } = definition as SurveyDefinition & { $schema?: string };
  return {
    ...rest,
    questions: definition.questions.map((question) => ({ ...question, required: question.required ?? true })),
  };
}

/** The answers a condition may name, for a question it can depend on. */
export function conditionValues(question: Question): string[] | undefined {
  switch (question.type) {
    case 'single':
    case 'multiple':
      return [...question.options.map((o) => o.id), ...(question.other ? [OTHER_OPTION_ID] : [])];
    case 'yes-no':
      return ['yes', 'no'];
    case 'rating':
      return Array.from({ length: question.scale }, (_, i) => String(i + 1));
    case 'district':
      return undefined; // any district id: the list belongs to the bureau, not the definition
    default:
      return [];
  }
}

function semanticProblems(definition: SurveyDefinition): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Map<string, Question>();
  definition.questions.forEach((question, index) => {
    const at = `/questions/${index}`;
    if (seen.has(question.id)) problems.push({ pointer: `${at}/id`, message: `repeats the question id "${question.id}"`, reason: 'duplicate' });
    if ('options' in question) {
      const ids = new Set<string>();
      question.options.forEach((option, optionIndex) => {
        if (ids.has(option.id)) problems.push({ pointer: `${at}/options/${optionIndex}/id`, message: `repeats the option id "${option.id}"`, reason: 'duplicate' });
        ids.add(option.id);
      });
    }
    if (question.type === 'multiple') {
      const available = question.options.length + (question.other ? 1 : 0);
      const min = question.minSelections ?? 0;
      const max = question.maxSelections ?? available;
      if (max > available) problems.push({ pointer: `${at}/maxSelections`, message: `is ${max}, but there are only ${available} options`, reason: 'over-options', params: { limit: available } });
      if (min > max) problems.push({ pointer: `${at}/minSelections`, message: `(${min}) is more than maxSelections (${max})`, reason: 'min-over-max', params: { limit: max } });
    }
    if (question.type === 'ranking') {
      const available = question.options.length + (question.other ? 1 : 0);
      if (question.rankCount > available) problems.push({ pointer: `${at}/rankCount`, message: `is ${question.rankCount}, but there are only ${available} items to rank`, reason: 'over-options', params: { limit: available } });
    }
    if (question.showIf) {
      const source = seen.get(question.showIf.question);
      const conditionAt = `${at}/showIf/question`;
      if (!source) {
        problems.push({ pointer: conditionAt, message: `must name an earlier question; "${question.showIf.question}" is not one`, reason: 'not-earlier' });
      } else {
        const allowed = conditionValues(source);
        if (allowed !== undefined && allowed.length === 0) {
          problems.push({ pointer: conditionAt, message: `names a ${source.type} question, which cannot be a condition`, reason: 'not-a-condition' });
        } else if (allowed) {
          question.showIf.anyOf.forEach((value, valueIndex) => {
            if (!allowed.includes(value)) {
              problems.push({ pointer: `${at}/showIf/anyOf/${valueIndex}`, message: `"${value}" is not an answer of question "${source.id}" (answers: ${allowed.join(', ')})`, reason: 'not-an-answer', params: { value } });
            }
          });
        }
      }
    }
    seen.set(question.id, question);
  });
  return problems;
}
