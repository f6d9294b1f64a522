import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { Survey, SurveyStatus } from '../../models/survey.model.js';
import type { SurveyDefinition } from '../../models/survey-definition.types.js';
import type { TallyService } from '../tallies/tally.service.js';
import type { DatabaseHealth } from '../../db/database-health.js';
import { listProblem, surveyProblem } from '../../db/record-checks.js';

export interface CreateSurveyOptions {
  template?: string | null;
  status?: SurveyStatus;
  opensAt?: Date | null;
  closesAt?: Date | null;
}

export class SurveyService {
  constructor(
    private readonly models: Models,
    private readonly tallies: TallyService,
    private readonly health: DatabaseHealth,
  ) {}

  /** Stores an already validated definition as a survey of the bureau, with its empty tally. */
  async createFromDefinition(bureauId: Types.ObjectId, definition: SurveyDefinition, options: CreateSurveyOptions = {}): Promise<Survey> {
    const created = await this.models.Survey.create({
      bureau: bureauId,
      slug: definition.slug,
      template: options.template ?? null,
      title: definition.title,
      description: definition.description,
      defaultLocale: definition.defaultLocale,
      questions: definition.questions,
      settings: definition.settings,
      status: options.status ?? 'draft',
      opensAt: options.opensAt ?? null,
      closesAt: options.closesAt ?? null,
    });
    await this.tallies.ensureTally(created._id);
    return created.toObject();
  }

  async listForBureau(bureauId: Types.ObjectId, statuses: SurveyStatus[]): Promise<Survey[]> {
    const wanted = new Set<string>(statuses);
    return this.health.read(
      'surveys of a bureau',
      () => this.models.Survey.find({ bureau: bureauId, status: { $in: statuses } }).sort({ opensAt: -1, _id: -1 }).lean<Survey[]>(),
      (surveys) => listProblem(surveys, (survey) => surveyProblem(survey, { bureau: bureauId }) ?? (wanted.has(survey.status) ? undefined : 'survey of another status')),
    );
  }

  async findBySlug(bureauId: Types.ObjectId, slug: string): Promise<Survey | null> {
    return this.models.Survey.findOne({ bureau: bureauId, slug: String(slug) }).lean<Survey>();
  }
}
