/** Minyi's AJV skips meta-schema checks at run time (see createAjv); this test makes them instead. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../server/paths.js';
import { buildSubmissionSchema } from '../../../server/services/surveys/answer-validator.js';
import { SURVEY_DEFINITION_SCHEMA_PATH, SurveyDefinitionValidator } from '../../../server/services/surveys/survey-definition-validator.js';
import { loadSurveyTemplates } from '../../../server/services/surveys/survey-templates.js';
import { createAjv } from '../../../server/services/validation/ajv.js';
import { everyTypeDefinition, TEST_DISTRICTS } from '../../fixtures/survey-definitions.js';

const metaChecker = new Ajv2020({ strict: false });
const problemsOf = (schema: unknown) => (metaChecker.validateSchema(schema as object) ? [] : metaChecker.errors);

describe('the schemas Minyi compiles', () => {
  it('the survey definition schema is valid JSON Schema 2020-12', () => {
    const schema = JSON.parse(readFileSync(path.join(projectRoot(), SURVEY_DEFINITION_SCHEMA_PATH), 'utf8')) as unknown;
    expect(problemsOf(schema)).toEqual([]);
  });

  it('the answer schema of every template, and of a survey with every question type, is valid JSON Schema 2020-12', () => {
    const validator = new SurveyDefinitionValidator(createAjv());
    const definitions = [...loadSurveyTemplates(path.join(projectRoot(), 'surveys'), validator).values()].map((t) => t.definition);
    definitions.push(validator.validate(everyTypeDefinition()));
    expect(definitions.length).toBeGreaterThan(2);
    for (const definition of definitions) expect(problemsOf(buildSubmissionSchema(definition.questions, TEST_DISTRICTS))).toEqual([]);
  });
});
