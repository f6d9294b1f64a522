/**
 * Reads a survey's day slices for a set of days, keeping the ones already read in memory. A kept slice is
 * used only while its total still equals the tally's count for its day, which the caller has just read:
 * slices only ever grow, so an equal total means an unchanged slice. In practice only today's slice is read
 * again, and a filtered dashboard costs about what an unfiltered one does, however many days it spans.
 */
import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';
import type { TallySlice } from '../../models/tally-slice.model.js';
import { sliceId } from '../tallies/tally-increments.js';

export type DaySlice = Pick<TallySlice, 'cells' | 'day'>;

/** Slices kept across all surveys: a few kilobytes each. */
const MAX_KEPT = 5000;
/** Up to this many missing days are read one `_id` at a time; more in one query. */
const SINGLE_READS = 4;

const sliceTotal = (slice: DaySlice) => Object.values(slice.cells ?? {}).reduce((sum, cell) => sum + cell.total, 0);

export class DaySlices {
  private readonly kept = new Map<string, { total: number; slice: DaySlice }>();

  constructor(private readonly models: Pick<Models, 'TallySlice'>) {}

  /** The slices of the given days; dayTotals holds the tally's count for each of them. */
  async read(surveyId: Types.ObjectId, dayTotals: Record<string, number>): Promise<DaySlice[]> {
    const slices: DaySlice[] = [];
    const missing: string[] = [];
    for (const [day, total] of Object.entries(dayTotals)) {
      const kept = this.kept.get(sliceId(surveyId, day));
      if (kept && kept.total === total) slices.push(kept.slice);
      else missing.push(day);
    }
    const projection = { cells: 1, day: 1 };
    const read =
      missing.length <= SINGLE_READS
        ? (await Promise.all(missing.map((day) => this.models.TallySlice.findById(sliceId(surveyId, day), projection).lean<DaySlice>()))).filter((s) => s !== null)
        : await this.models.TallySlice.find({ survey: surveyId, day: { $in: missing } }, projection).lean<DaySlice[]>();
    for (const slice of read) {
      this.keep(sliceId(surveyId, slice.day), slice);
      slices.push(slice);
    }
    return slices;
  }

  private keep(id: string, slice: DaySlice): void {
    this.kept.delete(id);
    this.kept.set(id, { total: sliceTotal(slice), slice });
    // Maps iterate in insertion order: the first key is the one kept longest without being refreshed.
    if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
  }
}
