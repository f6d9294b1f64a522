/** npm run surveys:check [files...]: validates survey definitions exactly as start-up does. */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { projectRoot } from '../server/paths.js';
import { SurveyDefinitionValidator } from '../server/services/surveys/survey-definition-validator.js';
import { readTemplateFile, TemplateFileError } from '../server/services/surveys/survey-templates.js';
import { createAjv } from '../server/services/validation/ajv.js';

const validator = new SurveyDefinitionValidator(createAjv());
const surveysDir = path.join(projectRoot(), 'surveys');
const files = process.argv.slice(2).length > 0
  ? process.argv.slice(2).map((file) => path.resolve(file))
  : readdirSync(surveysDir).filter((name) => name.endsWith('.json')).map((name) => path.join(surveysDir, name));

let failed = 0;
for (const file of files) {
  try {
    const template = readTemplateFile(file, validator);
    console.log(`ok    ${path.relative(process.cwd(), file)} (${template.definition.questions.length} questions)`);
  } catch (error) {
    if (!(error instanceof TemplateFileError)) throw error;
    failed += 1;
    console.error(`FAIL  ${error.message}`);
  }
}
console.log(`${files.length - failed} valid, ${failed} invalid`);
process.exit(failed > 0 ? 1 : 0);
