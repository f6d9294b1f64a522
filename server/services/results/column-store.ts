/**
 * The column stores of the surveys being analysed in this process (see survey-columns.ts), built by streaming
 * a survey's responses once and kept current two ways:
 * - votes this process stores arrive from the tally writer as they are stored (onStored);
 * - votes stored by other processes show in the tally, which every reader already reads: a day whose tally
 *   count is above the store's is read again (`{survey, day}`, which the response indexes serve on MongoDB).
 *   Response ids are keyed hashes with no order, so the day is the watermark. A day where the store is
 *   ahead (this process's votes not folded into the tally yet) is left alone unless it stays ahead longer
 *   than a fold can take, which only a deleted or lost response explains.
 * Memory is bounded: surveys least recently used are dropped past MAX_BYTES, and a survey bigger than that
 * alone is not kept (its readers fall back to a pass over the database).
 */
import type { Types } from 'mongoose';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { Tally } from '../../models/tally.model.js';
import { SurveyColumns, type ColumnRow } from './survey-columns.js';

/** Typed arrays live outside the JavaScript heap, so this does not press on `npm start`'s heap cap. */
export const MAX_BYTES = 512 * 1024 * 1024;
/** Longer than a tally flush and fold take: a day still ahead after this has lost a response. */
const AHEAD_GRACE_MS = 60_000;
/** Compacting costs a pass; do it once retired rows are a fifth of the store. */
const COMPACT_AT = 0.2;

/** Days read again are held as plain objects until swapped in: past this many, read the whole survey instead. */
const REREAD_MAX_ROWS = 20_000;

const PROJECTION = { answers: 1, day: 1, district: 1, channel: 1 } as const;

interface Entry {
  columns: SurveyColumns;
  /** The questions the columns were made for; a changed definition makes new columns. */
  shape: string;
  ready: Promise<void>;
  built: boolean;
  /** Responses read so far while building, and the tally's count when the build began. */
  progress: { read: number; total: number };
  refreshing: Promise<void> | null;
  /** Days where the store has more votes than the tally: since when, and the tally's count then. */
  ahead: Map<string, { since: number; tallied: number }>;
  usedAt: number;
}

const shapeOf = (questions: readonly Question[]) => JSON.stringify(questions.map((q) => [q.id, q.type, 'options' in q ? q.options.map((o) => o.id) : null, q.type === 'ranking' ? q.rankCount : null]));

export class ColumnStore {
  private readonly entries = new Map<string, Entry>();
  /** Surveys found too big to keep: their readers pass over the database instead, without waiting for a build. */
  private readonly tooBig = new Set<string>();

  constructor(
    private readonly models: Models,
    private readonly options: { logger?: Logger; maxBytes?: number; now?: () => number; maxStaleMs?: number } = {},
  ) {}

  /** Votes this process has just stored (from the tally writer); ignored for surveys not loaded or still loading. */
  addStored(surveyId: Types.ObjectId, rows: readonly ColumnRow[]): void {
    const entry = this.entries.get(String(surveyId));
    if (!entry?.built) return;
    for (const row of rows) entry.columns.add(row);
  }

  /** The survey's columns, current with `tally`; null when the survey is too big to keep. */
  async columns(survey: Pick<Survey, '_id' | 'questions'>, tally: Pick<Tally, 'byDay' | 'total'>): Promise<SurveyColumns | null> {
    const key = String(survey._id);
    const entry = this.entryFor(survey, tally.total);
    entry.usedAt = this.now();
    // Re-inserted: maps iterate in insertion order, so the first key is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    await entry.ready;
    if (this.entries.get(key) !== entry) return null;
    await this.refresh(survey, entry, tally);
    return this.entries.get(key) === entry ? entry.columns : null;
  }

  /**
   * Whether a pass over the survey's columns can start now. A survey not read yet starts its read (minutes for
   * a million responses on FerretDB); if that takes longer than `waitMs`, this says how far the read has come,
   * so a page can say so instead of keeping its reader waiting, and the read goes on in the background.
   */
  async prepare(survey: Pick<Survey, '_id' | 'questions'>, tally: Pick<Tally, 'total'>, waitMs: number): Promise<{ ready: true } | { ready: false; read: number; total: number }> {
    const key = String(survey._id);
    if (!this.entries.has(key) && this.tooBig.has(key)) return { ready: true };
    const entry = this.entryFor(survey, tally.total);
    if (entry.built) return { ready: true };
    // Nobody may await this read: its failure is logged here, and the next request starts another.
    const settled = entry.ready.catch((error: unknown) => this.options.logger?.warn({ err: error, survey: key }, 'could not build the column store'));
    if (waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    if (entry.built) return { ready: true };
    return { ready: false, read: entry.progress.read, total: Math.max(entry.progress.total, entry.progress.read) };
  }

  private entryFor(survey: Pick<Survey, '_id' | 'questions'>, total: number): Entry {
    const key = String(survey._id);
    const entry = this.entries.get(key);
    // The shape is the questions as JSON: worked out once per call, on every analysis page.
    const shape = shapeOf(survey.questions);
    return entry && entry.shape === shape ? entry : this.start(key, survey, shape, total);
  }

  /** Bytes held by every survey's columns. */
  get bytes(): number {
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.columns.bytes;
    return bytes;
  }

  forget(surveyId: Types.ObjectId): void {
    this.entries.delete(String(surveyId));
  }

  clear(): void {
    this.entries.clear();
    this.tooBig.clear();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Columns of every response of the survey, read in one stream; RangeError past the budget. */
  private async readAll(survey: Pick<Survey, '_id' | 'questions'>, progress?: { read: number }): Promise<SurveyColumns> {
    const columns = new SurveyColumns(survey.questions);
    columns.maxStaleMs = this.options.maxStaleMs ?? 0;
    for await (const row of this.read({ survey: survey._id })) {
      columns.add(row);
      if (progress) progress.read += 1;
      if (columns.bytes > this.maxBytes) throw new RangeError('survey too big for the column store');
    }
    return columns;
  }

  private start(key: string, survey: Pick<Survey, '_id' | 'questions'>, shape: string, total: number): Entry {
    const entry: Entry = { columns: new SurveyColumns(survey.questions), shape, built: false, ready: Promise.resolve(), progress: { read: 0, total }, refreshing: null, ahead: new Map(), usedAt: this.now() };
    entry.ready = (async () => {
      try {
        const started = this.now();
        const columns = await this.readAll(survey, entry.progress);
        // Votes stored while the stream ran are not in it for sure: the first refresh reads their days again.
        entry.columns = columns;
        entry.built = true;
        this.options.logger?.info({ survey: key, responses: columns.liveRows, bytes: columns.bytes, ms: this.now() - started }, 'column store built');
        this.evict(key);
      } catch (error) {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        if (!(error instanceof RangeError)) throw error;
        this.tooBig.add(key);
      }
    })();
    this.entries.set(key, entry);
    return entry;
  }

  private get maxBytes(): number {
    return this.options.maxBytes ?? MAX_BYTES;
  }

  /** Reads again the days where the tally has more votes than the store, one refresh at a time per survey. */
  private async refresh(survey: Pick<Survey, '_id' | 'questions'>, entry: Entry, tally: Pick<Tally, 'byDay'>): Promise<void> {
    while (entry.refreshing) await entry.refreshing;
    const now = this.now();
    const stale: string[] = [];
    for (const [day, count] of Object.entries(tally.byDay)) {
      const have = entry.columns.count(day);
      if (count > have) stale.push(day);
      else if (count < have) {
        // While votes keep coming, the tally trails this process's stored votes by a fold: only a count that
        // stops moving yet stays behind for the whole grace means a response was deleted or lost.
        const ahead = entry.ahead.get(day);
        if (!ahead || ahead.tallied !== count) entry.ahead.set(day, { since: now, tallied: count });
        else if (now - ahead.since > AHEAD_GRACE_MS) stale.push(day);
      } else entry.ahead.delete(day);
    }
    if (stale.length === 0) return;
    const missing = stale.reduce((sum, day) => sum + Math.max(0, (tally.byDay[day] ?? 0) - entry.columns.count(day)), 0);
    entry.refreshing = (async () => {
      if (missing > REREAD_MAX_ROWS) {
        // Many votes from elsewhere (a bulk import): read the survey again into new columns, as at the start.
        entry.columns = await this.readAll(survey);
        entry.ahead.clear();
        return;
      }
      const rows: ColumnRow[] = [];
      for await (const row of this.read({ survey: survey._id, day: { $in: stale } })) rows.push(row);
      // Swapped in at once, so no pass sees a day half read.
      entry.columns.retireDays(stale);
      for (const row of rows) entry.columns.add(row);
      for (const day of stale) entry.ahead.delete(day);
      if (entry.columns.dead > entry.columns.size * COMPACT_AT) entry.columns.compact();
    })();
    try {
      await entry.refreshing;
    } catch (error) {
      // Grown past the budget: forget it, and its readers fall back to a pass over the database.
      if (!(error instanceof RangeError)) throw error;
      if (this.entries.get(String(survey._id)) === entry) this.entries.delete(String(survey._id));
    } finally {
      entry.refreshing = null;
    }
  }

  private async *read(query: Record<string, unknown>): AsyncIterable<ColumnRow> {
    const cursor = this.models.Response.find(query, PROJECTION).lean<SurveyResponse>().cursor({ batchSize: 2000 });
    for await (const raw of cursor) {
      const response = raw as SurveyResponse;
      yield { answers: response.answers ?? {}, day: response.day, district: response.district ?? null, channel: response.channel };
    }
  }

  /** Drops the least recently used surveys (never `keep`) until the store fits its budget. */
  private evict(keep: string): void {
    let bytes = this.bytes;
    for (const [key, entry] of this.entries) {
      if (bytes <= this.maxBytes) break;
      if (key === keep || !entry.built) continue;
      bytes -= entry.columns.bytes;
      this.entries.delete(key);
    }
  }
}
