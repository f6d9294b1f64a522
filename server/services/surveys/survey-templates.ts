/** Reads the survey templates in surveys/*.json, validating each; a bad file names itself, the pointer and the problem. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../errors/index.js';
import type { SurveyDefinition } from '../../models/survey-definition.types.js';
import type { SurveyDefinitionValidator } from './survey-definition-validator.js';

export class TemplateFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: Array<{ pointer: string; message: string }>,
  ) {
    super(`Survey template ${file} is not valid:\n${problems.map((p) => `  ${p.pointer || '/'}: ${p.message}`).join('\n')}`);
    this.name = 'TemplateFileError';
  }
}

export interface SurveyTemplate {
  slug: string;
  file: string;
  definition: SurveyDefinition;
}

export function readTemplateFile(file: string, validator: SurveyDefinitionValidator): SurveyTemplate {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TemplateFileError(file, [{ pointer: '', message: `is not valid JSON: ${(error as Error).message}` }]);
  }
  try {
    const definition = validator.validate(data);
    const expectedSlug = path.basename(file, '.json');
    if (definition.slug !== expectedSlug) {
      throw new TemplateFileError(file, [{ pointer: '/slug', message: `is "${definition.slug}" but the file is named ${expectedSlug}.json; they must match` }]);
    }
    return { slug: definition.slug, file, definition };
  } catch (error) {
    if (error instanceof ValidationError) throw new TemplateFileError(file, error.problems);
    throw error;
  }
}

/** Every template in the folder, sorted by slug. Throws TemplateFileError on the first bad file. */
export function loadSurveyTemplates(directory: string, validator: SurveyDefinitionValidator): Map<string, SurveyTemplate> {
  const files = readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort();
  return new Map(files.map((name) => {
    const template = readTemplateFile(path.join(directory, name), validator);
    return [template.slug, template];
  }));
}
