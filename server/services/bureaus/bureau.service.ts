import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import { NotFoundError } from '../../errors/index.js';

export type BureauInput = Omit<Bureau, '_id' | 'createdAt' | 'updatedAt'>;

export interface BureauSummary {
  id: string;
  slug: string;
  name: Bureau['name'];
  kind: Bureau['kind'];
  city: Bureau['city'];
  openSurveys: number;
}

export class BureauService {
  constructor(private readonly models: Models) {}

  async create(input: BureauInput): Promise<Bureau> {
    const created = await this.models.Bureau.create(input);
    return created.toObject();
  }

  async findBySlug(slug: string): Promise<Bureau> {
    const bureau = await this.models.Bureau.findOne({ slug: String(slug) }).lean<Bureau>();
    if (!bureau) throw new NotFoundError();
    return bureau;
  }

  async count(): Promise<number> {
    return this.models.Bureau.estimatedDocumentCount();
  }

  /** Bureaus with at least one open survey, busiest first. */
  async listWithOpenSurveys(): Promise<BureauSummary[]> {
    const counts = await this.models.Survey.aggregate<{ _id: Types.ObjectId; count: number }>([
      { $match: { status: 'open' } },
      { $group: { _id: '$bureau', count: { $sum: 1 } } },
    ]);
    const byId = new Map(counts.map((c) => [String(c._id), c.count]));
    const bureaus = await this.models.Bureau.find({ _id: { $in: counts.map((c) => c._id) } }).lean<Bureau[]>();
    return bureaus
      .map((b) => ({ id: String(b._id), slug: b.slug, name: b.name, kind: b.kind, city: b.city, openSurveys: byId.get(String(b._id)) ?? 0 }))
      .sort((a, b) => b.openSurveys - a.openSurveys || a.slug.localeCompare(b.slug));
  }
}
