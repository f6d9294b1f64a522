import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import { NotFoundError } from '../../errors/index.js';
import type { DatabaseHealth } from '../../db/database-health.js';
import { bureauProblem, listProblem } from '../../db/record-checks.js';

/** Advice settings are optional: a bureau without categories has no advice box until staff add them. */
export type BureauInput = Omit<Bureau, '_id' | 'createdAt' | 'updatedAt' | 'adviceCategories' | 'replyWorkingDays'> &
  Partial<Pick<Bureau, 'adviceCategories' | 'replyWorkingDays'>>;

export interface BureauSummary {
  id: string;
  slug: string;
  name: Bureau['name'];
  kind: Bureau['kind'];
  city: Bureau['city'];
  openSurveys: number;
}

export class BureauService {
  constructor(
    private readonly models: Models,
    private readonly health: DatabaseHealth,
  ) {}

  async create(input: BureauInput): Promise<Bureau> {
    const created = await this.models.Bureau.create(input);
    return created.toObject();
  }

  async findBySlug(slug: string): Promise<Bureau> {
    const bureau = await this.health.read(
      `bureau ${slug}`,
      () => this.models.Bureau.findOne({ slug: String(slug) }).lean<Bureau>(),
      (b) => (b ? bureauProblem(b, { slug: String(slug) }) : undefined),
    );
    if (!bureau) throw new NotFoundError();
    return bureau;
  }

  async count(): Promise<number> {
    return this.models.Bureau.estimatedDocumentCount();
  }

  /** Bureaus with at least one open survey, busiest first. */
  async listWithOpenSurveys(): Promise<BureauSummary[]> {
    const counts = await this.health.read(
      'open surveys per bureau',
      () =>
        this.models.Survey.aggregate<{ _id: Types.ObjectId; count: number }>([
          { $match: { status: 'open' } },
          { $group: { _id: '$bureau', count: { $sum: 1 } } },
        ]),
      (rows) => listProblem(rows, (c) => (c && c._id != null && typeof c.count === 'number' && c.count > 0 ? undefined : 'a count without its bureau or number')),
    );
    const byId = new Map(counts.map((c) => [String(c._id), c.count]));
    const ids = new Set(byId.keys());
    const bureaus = await this.health.read(
      'bureaus with open surveys',
      () => this.models.Bureau.find({ _id: { $in: counts.map((c) => c._id) } }).lean<Bureau[]>(),
      (found) => listProblem(found, (b) => bureauProblem(b, { ids })),
    );
    return bureaus
      .map((b) => ({ id: String(b._id), slug: b.slug, name: b.name, kind: b.kind, city: b.city, openSurveys: byId.get(String(b._id)) ?? 0 }))
      .sort((a, b) => b.openSurveys - a.openSurveys || a.slug.localeCompare(b.slug));
  }
}
