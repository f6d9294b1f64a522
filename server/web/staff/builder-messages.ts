/**
 * The builder's problems in the page's language: each schema or rule problem becomes a short sentence for
 * the field it belongs to ("Required", "Use lower-case letters…"), never the schema's own wording.
 */
import type { FieldProblem } from '../../errors/index.js';
import { pointerToField } from './builder-form.js';

export type Translate = (key: string, params?: Record<string, unknown>) => string;

function messageKey(problem: FieldProblem, field: string): [string, Record<string, unknown>?] {
  const params = problem.params ?? {};
  const limit = params.limit;
  switch (problem.reason) {
    case 'required':
      return ['required'];
    case 'minLength':
      return Number(limit) <= 1 ? ['required'] : ['tooShort', { limit }];
    case 'maxLength':
      return ['tooLong', { limit }];
    case 'pattern':
      return [field === 'slug' ? 'slugPattern' : 'idPattern'];
    case 'type':
      return [params.type === 'integer' || params.type === 'number' ? 'number' : 'invalid'];
    case 'minimum':
    case 'exclusiveMinimum':
      return ['minimum', { limit }];
    case 'maximum':
    case 'exclusiveMaximum':
      return ['maximum', { limit }];
    case 'enum':
    case 'const':
      return ['enum'];
    case 'minItems':
      if (field === 'questions') return ['minQuestions'];
      if (field.endsWith('.showIf')) return ['tickOne'];
      return ['minOptions', { limit }];
    case 'maxItems':
      return [field === 'questions' ? 'maxQuestions' : 'maxOptions', { limit }];
    case 'uniqueItems':
    case 'duplicate':
      return [/^q\.\d+\.id$/.test(field) ? 'duplicateQuestion' : 'duplicateOption'];
    case 'not':
      return ['reservedOther'];
    case 'discriminator':
      return ['questionType'];
    case 'additionalProperties':
      return ['unknownProperty'];
    case 'over-options':
      return ['overOptions', { limit }];
    case 'min-over-max':
      return ['minOverMax', { limit }];
    case 'not-earlier':
      return ['notEarlier'];
    case 'not-a-condition':
      return ['notACondition'];
    case 'not-an-answer':
      return ['notAnAnswer'];
    case 'slug-locked':
      return ['slugLocked'];
    case 'json':
      return ['invalidJson'];
    default:
      return ['invalid'];
  }
}

/** One message per form field, the first problem found for it, in the page's language. */
export function problemsToFields(problems: FieldProblem[], translate: Translate): Map<string, string> {
  const fields = new Map<string, string>();
  for (const problem of problems) {
    const { field: raw, line } = pointerToField(problem.pointer);
    const field = problem.reason === 'json' ? 'definitionJson' : raw || 'questions';
    if (fields.has(field)) continue;
    const [key, params] = messageKey(problem, field);
    const message = translate(`staff.builder.errors.${key}`, params);
    fields.set(field, line === undefined ? message : translate('staff.builder.errors.line', { line, message }));
  }
  return fields;
}

/** "Question 2 · Title (English)": a field's name in words, for the list of problems at the top. */
export function fieldLabel(field: string, translate: Translate): string {
  const t = (key: string) => translate(`staff.builder.${key}`);
  const language = (part: string | undefined) => (part === 'zh-CN' ? ` (${t('chinese')})` : part === 'en' ? ` (${t('english')})` : '');
  const parts = field.split('.');
  const names: Record<string, string> = {
    slug: 'slug', defaultLocale: 'defaultLocale', title: 'surveyTitle', description: 'description', questions: 'questions',
    votePolicy: 'votePolicy', publicResults: 'publicResults', anonymity: 'anonymity', responseCap: 'responseCap', thankYou: 'thankYou',
  };
  if (parts[0] === 'q') {
    const within: Record<string, string> = {
      id: 'id', title: 'questionTitle', help: 'help', options: 'options', minSelections: 'minSelections', maxSelections: 'maxSelections',
      rankCount: 'rankCount', scale: 'scale', lowLabel: 'lowLabel', highLabel: 'highLabel', maxLength: 'maxLength', showIf: 'showIf', type: 'type',
    };
    const question = translate('staff.builder.question', { number: Number(parts[1]) + 1 });
    const name = parts[2] && within[parts[2]];
    return name ? `${question} · ${t(name)}${language(parts[3])}` : question;
  }
  const key = parts[0] === 'settings' ? parts[1] : parts[0];
  const name = key && names[key];
  return name ? `${t(name)}${language(parts[parts.length - 1])}` : field;
}
