/** Loads the demo bureaus and opens their surveys from the templates, once, into an empty database. */
import type { Logger } from '../../logging/logger.js';
import type { BureauService } from '../bureaus/bureau.service.js';
import type { SurveyService } from '../surveys/survey.service.js';
import type { SurveyTemplate } from '../surveys/survey-templates.js';
import { demoBureaus } from './demo-bureaus.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export class DemoSeeder {
  constructor(
    private readonly bureaus: BureauService,
    private readonly surveys: SurveyService,
    private readonly templates: Map<string, SurveyTemplate>,
    private readonly logger: Logger,
  ) {}

  /** Returns true when it loaded the demo, false when the database already had bureaus. */
  async seedIfEmpty(now = new Date()): Promise<boolean> {
    if ((await this.bureaus.count()) > 0) return false;
    for (const { surveys: templateSlugs, ...input } of demoBureaus) {
      const bureau = await this.bureaus.create(input);
      for (const slug of templateSlugs) {
        const template = this.templates.get(slug);
        if (!template) throw new Error(`Demo bureau ${input.slug} names template ${slug}, which is not in surveys/`);
        await this.surveys.createFromDefinition(bureau._id, template.definition, {
          template: slug,
          status: 'open',
          opensAt: new Date(now.getTime() - DAY_MS),
          closesAt: new Date(now.getTime() + 90 * DAY_MS),
        });
      }
    }
    this.logger.info({ bureaus: demoBureaus.length }, 'demo bureaus and surveys loaded');
    return true;
  }
}
