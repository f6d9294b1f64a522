/** Loads the demo bureaus and opens their surveys from the templates, once, into an empty database. */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logging/logger.js';
import type { RoleGrant } from '../../models/user.model.js';
import type { Models } from '../../models/index.js';
import type { TallyService } from '../tallies/tally.service.js';
import type { AccountService } from '../accounts/account.service.js';
import { seedDemoAdvice } from './demo-advice.js';
import { addDemoResponses } from './demo-responses.js';
import { seedDemoConcerns } from './demo-concerns.js';
import type { ConcernsService } from '../concerns/concerns.service.js';
import type { BureauService } from '../bureaus/bureau.service.js';
import type { SurveyService } from '../surveys/survey.service.js';
import type { SurveyTemplate } from '../surveys/survey-templates.js';
import { demoBureaus } from './demo-bureaus.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Responses per demo survey: enough for charts and intervals to mean something, few enough to load in a second. */
const DEMO_RESPONSES = 240;

export class DemoSeeder {
  constructor(
    private readonly bureaus: BureauService,
    private readonly surveys: SurveyService,
    private readonly templates: Map<string, SurveyTemplate>,
    private readonly logger: Logger,
    private readonly accounts?: AccountService,
    private readonly counting?: { models: Models; tallies: TallyService; concerns?: ConcernsService },
  ) {}

  /**
   * Loads the demo into an empty database and returns the demo staff sign-ins, each with a random password
   * made now (there is no default password); returns null when the database already had bureaus.
   */
  async seedIfEmpty(now = new Date()): Promise<DemoLogin[] | null> {
    if ((await this.bureaus.count()) > 0) return null;
    const bureauIds = new Map<string, RoleGrant['bureau']>();
    for (const { surveys: templateSlugs, ...input } of demoBureaus) {
      const bureau = await this.bureaus.create(input);
      bureauIds.set(bureau.slug, bureau._id);
      for (const slug of templateSlugs) {
        const template = this.templates.get(slug);
        if (!template) throw new Error(`Demo bureau ${input.slug} names template ${slug}, which is not in surveys/`);
        const survey = await this.surveys.createFromDefinition(bureau._id, template.definition, {
          template: slug,
          status: 'open',
          opensAt: new Date(now.getTime() - 21 * DAY_MS),
          closesAt: new Date(now.getTime() + 90 * DAY_MS),
        });
        if (this.counting && DEMO_RESPONSES > 0) await addDemoResponses(this.counting.models, this.counting.tallies, bureau, survey, DEMO_RESPONSES, now);
      }
      if (this.counting?.concerns) await seedDemoConcerns(this.counting.models, this.counting.concerns, bureau, now);
    }
    const logins: DemoLogin[] = [];
    if (this.accounts) {
      for (const account of DEMO_ACCOUNTS) {
        const password = `demo-${randomBytes(9).toString('base64url')}`;
        const roles = account.grants.map(({ role, bureau, region }) => ({ role, bureau: bureau ? bureauIds.get(bureau) : null, region: region ?? null }));
        await this.accounts.create({ email: account.email, name: account.name, password, roles });
        logins.push({ email: account.email, password, role: account.description });
      }
    }
    if (this.counting) for (const slug of bureauIds.keys()) await seedDemoAdvice(this.counting.models, slug, now);
    this.logger.info({ bureaus: demoBureaus.length, accounts: logins.length }, 'demo bureaus, surveys and accounts loaded');
    return logins;
  }
}

export interface DemoLogin {
  email: string;
  password: string;
  role: string;
}

const DEMO_ACCOUNTS: Array<{ email: string; name: string; description: string; grants: Array<{ role: RoleGrant['role']; bureau?: string; region?: string }> }> = [
  { email: 'admin@minyi.demo', name: 'Demo administrator', description: 'platform administrator', grants: [{ role: 'admin' }] },
  { email: 'manager@huzhou-police.demo', name: '湖州市公安局 管理员', description: 'manager, Huzhou police', grants: [{ role: 'manager', bureau: 'huzhou-police' }] },
  { email: 'analyst@huzhou-police.demo', name: '湖州市公安局 分析员', description: 'analyst, Huzhou police', grants: [{ role: 'analyst', bureau: 'huzhou-police' }] },
  { email: 'planner@shandong.demo', name: 'Shandong planner', description: 'planner, every bureau in Shandong', grants: [{ role: 'planner', region: 'Shandong' }] },
];
