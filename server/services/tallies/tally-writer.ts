/**
 * Counts stored votes exactly once, with inserts only. A batch of votes is numbered by its writer (this
 * process) and survey; a pending marker under that number is inserted before the batch's responses, and a
 * delta under the same number after them. Each insert is tried again until the database answers for sure,
 * and a duplicate key is that answer too, so no decision depends on reading back a write whose fate is
 * unknown:
 * - responses acknowledged: their delta is inserted, then the marker deleted;
 * - responses' fate unknown (timeout, cut connection, a paused database): the batch is settled by
 *   BatchSettler, which fences every response id with a tombstone first; whatever got in is counted;
 * - the process died: any process settles its markers the same way (recoverPending).
 * Snapshots fold the deltas (TallyService.fold), at most once per flush interval per survey.
 */
import { randomBytes } from 'node:crypto';
import type { WriteConcernSettings } from 'mongodb';
import { Types } from 'mongoose';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import { deltaId, type TallyDelta } from '../../models/tally-delta.model.js';
import type { TallyPending } from '../../models/tally-pending.model.js';
import type { IntegrityCounters } from '../../models/tally.model.js';
import { BatchSettler } from './batch-settler.js';
import { insertKeyed } from '../../db/keyed-writes.js';
import { addIncrements, counterTree, type Increments } from './tally-increments.js';
import { packCounters } from './packed-counters.js';
import { TallySums } from './tally-sums.js';
import type { TallyService } from './tally.service.js';

type Counted = Pick<SurveyResponse, 'answers' | 'day' | 'district' | 'channel'>;
type CountedSurvey = Pick<Survey, '_id' | 'questions'>;

/** A batch of one survey's votes, numbered by its writer; see markPending(). */
export type Marker = Pick<TallyPending, '_id' | 'survey' | 'writer' | 'seq' | 'token' | 'responses'>;

export interface TallyWriterOptions {
  writeConcern?: WriteConcernSettings;
  logger: Logger;
  /** Least time between two folds of one survey's deltas, and between two writes of its vote-check events. */
  flushIntervalMs: number;
}

export class TallyWriter {
  readonly writerId = randomBytes(6).toString('base64url');
  private readonly settler: BatchSettler;
  /** The last seq given to a batch of each survey. */
  private readonly seqs = new Map<string, number>();
  /** Votes stored whose delta is not acknowledged yet, by survey (a response cap counts them too). */
  private readonly uncounted = new Map<string, number>();
  /** Batches being counted or settled by this process, by marker id. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Vote-check events not written yet, by survey. */
  private readonly events = new Map<string, Increments>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Flushes under way (events written, deltas folded), so drain() waits for them too. */
  private readonly flushes = new Set<Promise<void>>();
  private readonly lastFold = new Map<string, number>();
  private stopped = false;
  /** Told of every batch of responses the database acknowledged (the results' column store); never affects counting. */
  private readonly storedListeners: Array<(surveyId: Types.ObjectId, stored: readonly Counted[]) => void> = [];

  constructor(
    private readonly models: Models,
    private readonly tallies: TallyService,
    private readonly options: TallyWriterOptions,
  ) {
    this.settler = new BatchSettler(models, { writeConcern: options.writeConcern, stopped: () => this.stopped });
  }

  /**
   * Numbers each batch and inserts its pending marker; call before inserting the responses. Throws if the
   * markers' insert failed: then the responses must not be inserted (a marker that landed anyway is settled
   * by recovery, with nothing to count).
   */
  async markPending(batches: Array<{ survey: Types.ObjectId; responseIds: unknown[] }>): Promise<Marker[]> {
    const at = new Date();
    const markers = batches.map((batch): TallyPending => {
      const seq = this.nextSeq(batch.survey);
      return { _id: deltaId(batch.survey, this.writerId, seq), survey: batch.survey, writer: this.writerId, seq, token: randomBytes(12).toString('base64url'), responses: batch.responseIds, at };
    });
    await this.models.TallyPending.collection.insertMany(markers as never[], { ordered: false, writeConcern: this.options.writeConcern });
    return markers;
  }

  /**
   * Counts a batch whose responses the database acknowledged (those given were stored, the others not).
   * Resolves once its delta is stored; until then the votes count as queued.
   */
  countStored(survey: CountedSurvey, marker: Marker, stored: readonly Counted[]): Promise<void> {
    for (const listener of this.storedListeners) {
      try {
        listener(survey._id, stored);
      } catch (error) {
        this.options.logger.error({ err: error }, 'a listener of stored votes failed');
      }
    }
    return this.track(marker, stored.length, () => this.writeDelta(survey, marker, stored));
  }

  onStored(listener: (surveyId: Types.ObjectId, stored: readonly Counted[]) => void): void {
    this.storedListeners.push(listener);
  }

  /**
   * Settles a batch whose responses' insert has an unknown fate, in the background: whatever of it the
   * database stored is counted, whatever it did not can no longer arrive. Resolves when done.
   */
  settle(survey: CountedSurvey, marker: Marker): Promise<void> {
    return this.track(marker, 0, async () => {
      const stored = await this.settler.storedOf(marker);
      await this.writeDelta(survey, marker, stored);
    });
  }

  /** Counts a refused or repeated vote for the integrity panel; written with the survey's next events delta. */
  countEvent(surveyId: Types.ObjectId, event: Exclude<keyof IntegrityCounters, 'accepted'>): void {
    const key = String(surveyId);
    addIncrements(this.events.get(key) ?? this.events.set(key, {}).get(key)!, { [`integrity.${event}`]: 1 });
    this.schedule(surveyId);
  }

  /** Votes of the survey stored but not yet in its counts. */
  queuedVotes(surveyId: Types.ObjectId): number {
    return this.uncounted.get(String(surveyId)) ?? 0;
  }

  /** Writes everything pending and folds every survey written; resolves when all is done (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0 || this.flushes.size > 0) {
      await Promise.allSettled([...this.inFlight.values(), ...this.flushes]);
      const due = [...this.timers.keys()];
      for (const key of due) {
        clearTimeout(this.timers.get(key));
        this.timers.delete(key);
      }
      await Promise.all(due.map((key) => this.flush(new Types.ObjectId(key))));
    }
  }

  /** Stops retrying writes; what is left pending is settled by whichever process recovers next. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Settles batches left pending by a process that died (or by this one, while the database was away),
   * and folds deltas nobody folded. Only markers older than minAgeMs are looked at, so batches still on
   * their way through a live process are normally left to it; settling one twice is harmless anyway.
   */
  async recoverPending(minAgeMs = 60_000): Promise<{ settled: number; counted: number }> {
    const before = new Date(Date.now() - minAgeMs);
    const markers = (await this.models.TallyPending.find({ at: { $lt: before } }).limit(1000).lean<TallyPending[]>()).filter((marker) => !this.inFlight.has(marker._id));
    const totals = { settled: 0, counted: 0 };
    const surveys = new Map<string, CountedSurvey | null>();
    for (const marker of markers) {
      const key = String(marker.survey);
      if (!surveys.has(key)) surveys.set(key, await this.models.Survey.findById(marker.survey, { questions: 1 }).lean<CountedSurvey>());
      const survey = surveys.get(key) ?? { _id: marker.survey, questions: [] };
      const stored = await this.settler.storedOf(marker);
      await this.writeDelta(survey, marker, stored);
      totals.settled += 1;
      totals.counted += stored.length;
    }
    for (const surveyId of await this.tallies.surveysWithDeltas(before)) await this.tallies.fold(surveyId);
    await this.tallies.sweepRetired();
    if (markers.length > 0) this.options.logger.info(totals, 'settled pending vote batches');
    return totals;
  }

  private nextSeq(surveyId: Types.ObjectId): number {
    const seq = (this.seqs.get(String(surveyId)) ?? 0) + 1;
    this.seqs.set(String(surveyId), seq);
    return seq;
  }

  private track(marker: Marker, votes: number, work: () => Promise<void>): Promise<void> {
    const key = String(marker.survey);
    this.uncounted.set(key, (this.uncounted.get(key) ?? 0) + votes);
    const done = work().finally(() => {
      this.uncounted.set(key, (this.uncounted.get(key) ?? 0) - votes);
      this.inFlight.delete(marker._id);
    });
    this.inFlight.set(marker._id, done.catch(() => {}));
    return done;
  }

  /** Inserts the batch's delta (its content depends only on which responses were stored), then drops its marker. */
  private async writeDelta(survey: CountedSurvey, marker: Marker, stored: readonly Counted[]): Promise<void> {
    const sums = new TallySums(survey.questions);
    for (const response of stored) sums.add(response);
    await this.insertDelta(marker.survey, marker.writer, marker.seq, stored.length, sums.tally, sums.slices);
    await this.models.TallyPending.deleteOne({ _id: marker._id }, { writeConcern: this.options.writeConcern });
    this.schedule(marker.survey);
  }

  private async insertDelta(surveyId: Types.ObjectId, writer: string, seq: number, votes: number, tally: Increments, slices: Map<string, Increments>): Promise<void> {
    const delta: TallyDelta = {
      _id: deltaId(surveyId, writer, seq),
      survey: surveyId,
      writer,
      seq,
      votes,
      tally: packCounters(counterTree(tally)),
      slices: packCounters(Object.fromEntries([...slices].map(([day, inc]) => [day, counterTree(inc)]))),
      at: new Date(),
    };
    await insertKeyed(this.models.TallyDelta.collection, [delta] as never[], this.options.writeConcern, { stopped: () => this.stopped });
  }

  /** Writes the survey's events and folds its deltas once the flush interval since the last fold has passed. */
  private schedule(surveyId: Types.ObjectId): void {
    const key = String(surveyId);
    if (this.timers.has(key) || this.stopped) return;
    // Readers add the deltas not folded yet, so folding sooner would show nothing sooner: it only compacts.
    const wait = Math.max(0, (this.lastFold.get(key) ?? Date.now()) + this.options.flushIntervalMs - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(key);
      const flushing = this.flush(surveyId).finally(() => this.flushes.delete(flushing));
      this.flushes.add(flushing);
    }, wait);
    timer.unref();
    this.timers.set(key, timer);
  }

  private async flush(surveyId: Types.ObjectId): Promise<void> {
    const key = String(surveyId);
    this.lastFold.set(key, Date.now());
    const events = this.events.get(key);
    this.events.delete(key);
    try {
      if (events) await this.insertDelta(surveyId, this.writerId, this.nextSeq(surveyId), 0, events, new Map());
      await this.tallies.fold(surveyId);
    } catch (error) {
      // Events are best-effort counters; deltas not folded are still read, and the next fold takes them.
      this.options.logger.warn({ err: error, survey: key }, 'could not fold the survey\'s counts; will try again');
      if (!this.stopped) this.schedule(surveyId);
    }
  }
}
