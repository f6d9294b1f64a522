/** The one AJV setup Minyi uses: JSON Schema 2020-12, every error at once, discriminated unions. */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { FieldProblem } from '../../errors/index.js';

export type { ErrorObject };
export type Ajv = Ajv2020;

export function createAjv(): Ajv2020 {
  // strictRequired is off: conditional schemas name properties declared in a sibling, which is valid JSON Schema.
  // Schemas are not checked against the 2020-12 meta-schema here: they are Minyi's own (a file in the repo, or
  // made by code), a test checks them, and compiling the meta-schema would double the start-up cost of AJV.
  return new Ajv2020({ allErrors: true, discriminator: true, strict: true, strictRequired: false, useDefaults: false, validateSchema: false });
}

/** Turns AJV's errors into problems a person can act on, each at the JSON pointer of the offending value. */
export function toFieldProblems(errors: ErrorObject[] | null | undefined): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    // oneOf/if failures only repeat what their branches already said.
    if (error.keyword === 'oneOf' || error.keyword === 'if' || error.keyword === 'allOf') continue;
    const problem = describe(error);
    const key = `${problem.pointer}|${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function describe(error: ErrorObject): FieldProblem {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  const base = { reason: error.keyword, params };
  switch (error.keyword) {
    case 'required':
      return { ...base, pointer: `${at}/${String(params.missingProperty)}`, message: `is required` };
    case 'additionalProperties':
      return { ...base, pointer: `${at}/${String(params.additionalProperty)}`, message: `is not a known property here` };
    case 'enum':
      return { ...base, pointer: at, message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { ...base, pointer: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'type':
      return { ...base, pointer: at, message: `must be of type ${String(params.type)}` };
    case 'maxLength':
      return { ...base, pointer: at, message: `must be at most ${String(params.limit)} characters long` };
    case 'minLength':
      return { ...base, pointer: at, message: Number(params.limit) === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long` };
    case 'minItems':
      return { ...base, pointer: at, message: `must have at least ${String(params.limit)} item(s)` };
    case 'maxItems':
      return { ...base, pointer: at, message: `must have at most ${String(params.limit)} item(s)` };
    case 'uniqueItems':
      return { ...base, pointer: at, message: `must not repeat an item (items ${String(params.j)} and ${String(params.i)} are the same)` };
    case 'pattern':
      return { ...base, pointer: at, message: `has characters that are not allowed (expected ${String(params.pattern)})` };
    case 'discriminator':
      return { ...base, pointer: `${at}/${String(params.tag)}`, message: params.error === 'mapping' ? `is not a known question type` : `is required and must be a string` };
    case 'not':
      return { ...base, pointer: at, message: `has a reserved or forbidden value` };
    default:
      return { ...base, pointer: at, message: error.message ?? 'is not valid' };
  }
}
