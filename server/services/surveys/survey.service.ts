import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { Survey, SurveyStatus } from '../../models/survey.model.js';
import type { SurveyDefinition } from '../../models/survey-definition.types.js';
import type { TallyService } from '../tallies/tally.service.js';

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
    return this.models.Survey.find({ bureau: bureauId, status: { $in: statuses } })
      .sort({ opensAt: -1, _id: -1 })
      .lean<Survey[]>();
  }

  async findBySlug(bureauId: Types.ObjectId, slug: string): Promise<Survey | null> {
    return this.models.Survey.findOne({ bureau: bureauId, slug: String(slug) }).lean<Survey>();
  }
}
