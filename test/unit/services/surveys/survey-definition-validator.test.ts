import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../server/errors/index.js';
import { SurveyDefinitionValidator } from '../../../../server/services/surveys/survey-definition-validator.js';
import { createAjv } from '../../../../server/services/validation/ajv.js';
import { everyTypeDefinition } from '../../../fixtures/survey-definitions.js';

const validator = new SurveyDefinitionValidator(createAjv());
const surveysDir = path.join(import.meta.dirname, '../../../../surveys');

function problemsOf(input: unknown): Array<{ pointer: string; message: string }> {
  try {
    validator.validate(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map(({ pointer, message }) => ({ pointer, message }));
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

describe('survey definitions', () => {
  const files = readdirSync(surveysDir).filter((f) => f.endsWith('.json'));

  it('ships at least the five templates bureaus start from', () => {
    expect(files.sort()).toEqual([
      'advice-and-complaints.json',
      'complaint-handling-satisfaction.json',
      'court-information-release-feedback.json',
      'public-consultation-traffic-visa-fire.json',
      'top-public-security-concerns.json',
    ]);
  });

  it.each(files)('%s validates, in both languages', (file) => {
    const definition = validator.validate(JSON.parse(readFileSync(path.join(surveysDir, file), 'utf8')));
    expect(definition.slug).toBe(file.replace(/\.json$/, ''));
    for (const question of definition.questions) {
      expect(question.title['zh-CN'].length).toBeGreaterThan(0);
      expect(question.title.en.length).toBeGreaterThan(0);
    }
  });

  it('accepts the every-type fixture and defaults "required" to true', () => {
    const input = everyTypeDefinition();
    delete (input.questions[2] as { required?: boolean }).required;
    const definition = validator.validate(input);
    expect(definition.questions[2]!.required).toBe(true);
    expect('$schema' in definition).toBe(false);
  });

  it('points at a missing translation', () => {
    const input = everyTypeDefinition();
    delete (input.questions[1]!.title as Partial<Record<string, string>>).en;
    expect(problemsOf(input)).toContainEqual({ pointer: '/questions/1/title/en', message: 'is required' });
  });

  it('points at an unknown property and an unknown question type', () => {
    const input = everyTypeDefinition() as unknown as Record<string, unknown>;
    input.colour = 'red';
    (input.questions as Array<Record<string, unknown>>)[3]!.type = 'slider';
    const problems = problemsOf(input);
    expect(problems).toContainEqual({ pointer: '/colour', message: 'is not a known property here' });
    expect(problems).toContainEqual({ pointer: '/questions/3/type', message: 'is not a known question type' });
  });

  it('points at a property that does not belong to that question type', () => {
    const input = everyTypeDefinition();
    (input.questions[3] as unknown as Record<string, unknown>).options = [];
    expect(problemsOf(input)).toContainEqual({ pointer: '/questions/3/options', message: 'is not a known property here' });
  });

  it('refuses over-long text, bad ids and a rating scale other than 5 or 10', () => {
    const input = everyTypeDefinition();
    input.title.en = 'x'.repeat(201);
    input.questions[0]!.id = 'Has Spaces';
    (input.questions[2] as { scale: number }).scale = 7;
    const problems = problemsOf(input);
    expect(problems).toContainEqual({ pointer: '/title/en', message: 'must be at most 200 characters long' });
    expect(problems.some((p) => p.pointer === '/questions/0/id' && p.message.startsWith('has characters that are not allowed'))).toBe(true);
    expect(problems).toContainEqual({ pointer: '/questions/2/scale', message: 'must be one of: 5, 10' });
  });

  it('reserves the option id "other" for the other option', () => {
    const input = everyTypeDefinition();
    (input.questions[5] as { options: Array<{ id: string }> }).options[0]!.id = 'other';
    expect(problemsOf(input)).toContainEqual({ pointer: '/questions/5/options/0/id', message: 'has a reserved or forbidden value' });
  });

  it('finds repeated question and option ids', () => {
    const input = everyTypeDefinition();
    input.questions[6]!.id = 'concerns';
    (input.questions[5] as { options: Array<{ id: string }> }).options[1]!.id = 'daily';
    const problems = problemsOf(input);
    expect(problems).toContainEqual({ pointer: '/questions/6/id', message: 'repeats the question id "concerns"' });
    expect(problems).toContainEqual({ pointer: '/questions/5/options/1/id', message: 'repeats the option id "daily"' });
  });

  it('checks conditions: an earlier question, with answers it really has', () => {
    const input = everyTypeDefinition();
    input.questions[4]!.showIf = { question: 'patrols', anyOf: ['daily'] };
    expect(problemsOf(input)).toContainEqual({ pointer: '/questions/4/showIf/question', message: 'must name an earlier question; "patrols" is not one' });
    input.questions[4]!.showIf = { question: 'victim', anyOf: ['maybe'] };
    expect(problemsOf(input)).toContainEqual({ pointer: '/questions/4/showIf/anyOf/0', message: '"maybe" is not an answer of question "victim" (answers: yes, no)' });
    input.questions[4]!.showIf = { question: 'concerns', anyOf: ['fraud'] };
    expect(problemsOf(input)).toContainEqual({ pointer: '/questions/4/showIf/question', message: 'names a ranking question, which cannot be a condition' });
  });

  it('checks selection limits against the options', () => {
    const input = everyTypeDefinition();
    Object.assign(input.questions[4]!, { minSelections: 3, maxSelections: 5 });
    (input.questions[0] as { rankCount: number }).rankCount = 6;
    const problems = problemsOf(input);
    expect(problems).toContainEqual({ pointer: '/questions/4/maxSelections', message: 'is 5, but there are only 4 options' });
    expect(problems).toContainEqual({ pointer: '/questions/0/rankCount', message: 'is 6, but there are only 5 items to rank' });
  });

  it('reports every problem at once, not just the first', () => {
    const input = everyTypeDefinition() as unknown as Record<string, unknown>;
    delete input.slug;
    delete input.settings;
    const pointers = problemsOf(input).map((p) => p.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/slug', '/settings']));
  });
});
