import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSurveyTemplates, TemplateFileError } from '../../../../server/services/surveys/survey-templates.js';
import { SurveyDefinitionValidator } from '../../../../server/services/surveys/survey-definition-validator.js';
import { createAjv } from '../../../../server/services/validation/ajv.js';
import { everyTypeDefinition } from '../../../fixtures/survey-definitions.js';
import { testTempDir } from '../../../utils/temp-dir.js';

const validator = new SurveyDefinitionValidator(createAjv());

function folderWith(files: Record<string, string>): string {
  const dir = testTempDir('minyi-templates-');
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

describe('loadSurveyTemplates', () => {
  it('loads the shipped templates by slug', () => {
    const templates = loadSurveyTemplates(path.join(import.meta.dirname, '../../../../surveys'), validator);
    expect(templates.get('top-public-security-concerns')?.definition.questions.some((q) => q.type === 'ranking')).toBe(true);
  });

  it('names the file, the JSON pointer and the problem', () => {
    const definition = everyTypeDefinition();
    (definition.questions[2] as { scale: number }).scale = 3;
    const dir = folderWith({ 'every-type.json': JSON.stringify(definition) });
    let error: unknown;
    try {
      loadSurveyTemplates(dir, validator);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateFileError);
    const message = (error as Error).message;
    expect(message).toContain(path.join(dir, 'every-type.json'));
    expect(message).toContain('/questions/2/scale: must be one of: 5, 10');
  });

  it('refuses a file that is not JSON', () => {
    const dir = folderWith({ 'broken.json': '{ "slug": ' });
    expect(() => loadSurveyTemplates(dir, validator)).toThrow(/broken\.json is not valid:\n {2}\/: is not valid JSON/);
  });

  it('refuses a slug that does not match the file name', () => {
    const dir = folderWith({ 'another-name.json': JSON.stringify(everyTypeDefinition()) });
    expect(() => loadSurveyTemplates(dir, validator)).toThrow(/\/slug: is "every-type" but the file is named another-name\.json/);
  });
});
