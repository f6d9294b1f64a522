/**
 * Reads a survey's day slices for a set of days, keeping the ones already read in memory. A kept slice is
 * used only while its total still equals the tally's count for its day, which the caller has just read:
 * slices only ever grow, so an equal total means an unchanged slice. In practice only today's slice is read
 * again, and a filtered dashboard costs about what an unfiltered one does, however many days it spans.
 */
import type { Types } from 'mongoose';
import type { DaySlice } from '../../models/tally.model.js';
import type { TallyService } from '../tallies/tally.service.js';

export type { DaySlice };

/** Slices kept across all surveys: a few kilobytes each. */
const MAX_KEPT = 5000;

const sliceTotal = (slice: DaySlice) => Object.values(slice.cells).reduce((sum, cell) => sum + cell.total, 0);

export class DaySlices {
  private readonly kept = new Map<string, { total: number; slice: DaySlice }>();

  constructor(private readonly tallies: Pick<TallyService, 'slices'>) {}

  /** The slices of the given days; dayTotals holds the tally's count for each of them. */
  async read(surveyId: Types.ObjectId, dayTotals: Record<string, number>): Promise<DaySlice[]> {
    const slices: DaySlice[] = [];
    const missing: string[] = [];
    for (const [day, total] of Object.entries(dayTotals)) {
      const kept = this.kept.get(`${String(surveyId)}/${day}`);
      if (kept && kept.total === total) slices.push(kept.slice);
      else missing.push(day);
    }
    for (const slice of missing.length > 0 ? await this.tallies.slices(surveyId, missing) : []) {
      this.keep(`${String(surveyId)}/${slice.day}`, slice);
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
