import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { Tally } from '../../models/tally.model.js';

export class TallyService {
  constructor(private readonly models: Models) {}

  /** Creates the survey's tally document if it has none (idempotent). */
  async ensureTally(surveyId: Types.ObjectId): Promise<void> {
    await this.models.Tally.updateOne(
      { survey: surveyId },
      {
        $setOnInsert: {
          survey: surveyId,
          total: 0,
          byDay: {},
          byDistrict: {},
          byChannel: {},
          questions: {},
          integrity: { accepted: 0, duplicate: 0, rateLimited: 0, refused: 0, invalid: 0 },
          lastBatch: {},
          sliced: true,
        },
      },
      { upsert: true },
    );
  }

  async get(surveyId: Types.ObjectId): Promise<Tally | null> {
    return this.models.Tally.findOne({ survey: surveyId }).lean<Tally>();
  }
}
