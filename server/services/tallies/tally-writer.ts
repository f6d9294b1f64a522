/**
 * The only code that writes tally documents and their day slices. Stored votes reach it in batches, each
 * with a pending marker (see ResponseStore). A survey's queue is written at most once per flush interval,
 * merged into one $inc per document, however many votes arrived meanwhile: on FerretDB 1.24 every update
 * reads its whole collection, so the cost of counting must follow the clock, not the number of votes. It also
 * keeps counts exact there (its SQLite backend loses concurrent updates of one document) and spares MongoDB a
 * hot-document write per vote.
 *
 * Exactly once without transactions: every document a write changes records the marker ids it counts there,
 * under lastBatch[writerId]. Markers are deleted before the next write of the survey may overwrite those
 * records. So while a marker exists, the records say which of its parts (the tally, each day's slice) already
 * landed: a failed write is finished from them before the next one (repair), and after a crash
 * recoverPending() counts what is missing. Only small collections are searched by key.
 */
import { randomBytes } from 'node:crypto';
import type { WriteConcernSettings } from 'mongodb';
import { Types } from 'mongoose';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import { pendingResponseIds, type TallyPending } from '../../models/tally-pending.model.js';
import type { IntegrityCounters } from '../../models/tally.model.js';
import { addIncrements, sliceId, type Increments } from './tally-increments.js';
import { TallySums } from './tally-sums.js';

/** Queued items (marker batches and events) merged into one write; bounds the recorded marker ids. */
const MAX_ITEMS_PER_WRITE = 1000;

type Counted = Pick<SurveyResponse, '_id' | 'answers' | 'day' | 'district' | 'channel'>;
type CountedSurvey = Pick<Survey, '_id' | 'questions'>;

interface QueuedCount {
  /** The pending marker of the votes counted, absent for integrity events. */
  markerId?: string;
  votes: number;
  /** What goes into the survey's tally: the votes' counters or an integrity event. */
  tally?: Increments;
  /** What goes into the slice of each day, by day. */
  slices: Map<string, Increments>;
  resolve(): void;
  reject(error: unknown): void;
}

interface SurveyQueue {
  surveyId: Types.ObjectId;
  items: QueuedCount[];
  flushing: boolean;
  lastWriteAt: number;
  /** Ends the wait for the next write at once (drain). */
  wake: (() => void) | undefined;
  /** Markers counted by the last write and not yet deleted. */
  unmarked: string[];
  /** The write under way, if any. */
  writing: QueuedCount[];
  /** A write that failed: some of it may have landed. It is finished before any other write. */
  failed: QueuedCount[] | null;
}

/** Which parts of a marker's votes a tally and its slices already record. */
interface Landed {
  tally: boolean;
  days: Set<string>;
}

const noop = () => {};

export interface TallyWriterOptions {
  writeConcern?: WriteConcernSettings;
  logger: Logger;
  /** Least time between two writes of one survey's counters; 0 writes as soon as the previous write is done. */
  flushIntervalMs: number;
}

export class TallyWriter {
  readonly writerId = randomBytes(6).toString('hex');
  private readonly queues = new Map<string, SurveyQueue>();
  private draining = 0;

  constructor(
    private readonly models: Models,
    private readonly options: TallyWriterOptions,
  ) {}

  /**
   * Records votes as on their way into the tally, one marker per survey; call before inserting their
   * responses. Returns the marker ids in the order given.
   */
  async markPending(batches: Array<{ survey: Types.ObjectId; responseIds: string[] }>): Promise<string[]> {
    const at = new Date();
    const markers: TallyPending[] = batches.map((batch) => ({ _id: randomBytes(12).toString('base64url'), survey: batch.survey, responses: batch.responseIds, at }));
    // The driver's untyped collections assume ObjectId ids; these are strings.
    await this.models.TallyPending.collection.insertMany(markers as unknown as Array<{ _id: never }>, { writeConcern: this.options.writeConcern });
    return markers.map((marker) => marker._id);
  }

  /** Removes markers whose responses were not stored. */
  async unmarkPending(markerIds: string[]): Promise<void> {
    if (markerIds.length > 0) await this.models.TallyPending.deleteMany({ _id: { $in: markerIds } });
  }

  /**
   * Adds stored responses, all of one marker, to their survey's tally and day slices. Resolves once the
   * database acknowledged both; until then the marker lets recoverPending() count them after a crash.
   */
  countStored(survey: CountedSurvey, markerId: string, responses: readonly Counted[]): Promise<void> {
    if (responses.length === 0) return this.unmarkPending([markerId]);
    const sums = new TallySums(survey.questions);
    for (const response of responses) sums.add(response);
    return this.enqueue(survey._id, { markerId, votes: responses.length, tally: sums.tally, slices: sums.slices });
  }

  /** Counts a refused or repeated vote for the integrity panel. */
  countEvent(surveyId: Types.ObjectId, event: Exclude<keyof IntegrityCounters, 'accepted'>): Promise<void> {
    return this.enqueue(surveyId, { votes: 0, tally: { [`integrity.${event}`]: 1 }, slices: new Map() });
  }

  /** Votes of the survey stored but not yet in its tally (a response cap counts them too). */
  queuedVotes(surveyId: Types.ObjectId): number {
    const queue = this.queues.get(String(surveyId));
    if (!queue) return 0;
    return [...queue.items, ...queue.writing].reduce((sum, item) => sum + item.votes, 0);
  }

  /** Writes everything queued now, without waiting for the flush interval; resolves when every queue is empty (tests, shutdown). */
  async drain(): Promise<void> {
    this.draining += 1;
    try {
      while ([...this.queues.values()].some((q) => q.flushing || q.items.length > 0)) {
        for (const queue of this.queues.values()) queue.wake?.();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      this.draining -= 1;
    }
  }

  private queueOf(surveyId: Types.ObjectId): SurveyQueue {
    const key = String(surveyId);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { surveyId, items: [], flushing: false, lastWriteAt: 0, wake: undefined, unmarked: [], writing: [], failed: null };
      this.queues.set(key, queue);
    }
    return queue;
  }

  private enqueue(surveyId: Types.ObjectId, counts: Omit<QueuedCount, 'resolve' | 'reject'>): Promise<void> {
    const queue = this.queueOf(surveyId);
    const promise = new Promise<void>((resolve, reject) => queue.items.push({ ...counts, resolve, reject }));
    if (!queue.flushing) void this.flush(queue);
    return promise;
  }

  /** Waits until the flush interval since the last write has passed, and at least for votes of the same tick to join. */
  private untilDue(queue: SurveyQueue): Promise<void> {
    const wait = this.draining > 0 ? 0 : queue.lastWriteAt + this.options.flushIntervalMs - Date.now();
    return new Promise((resolve) => {
      const timer = wait > 0 ? setTimeout(() => queue.wake?.(), wait) : undefined;
      queue.wake = () => {
        clearTimeout(timer);
        queue.wake = undefined;
        resolve();
      };
      if (!timer) setImmediate(() => queue.wake?.());
    });
  }

  private async flush(queue: SurveyQueue): Promise<void> {
    queue.flushing = true;
    while (queue.items.length > 0) {
      await this.untilDue(queue);
      queue.lastWriteAt = Date.now();
      const batch = queue.items.splice(0, MAX_ITEMS_PER_WRITE);
      try {
        await this.repair(queue);
        await this.markCounted(queue);
      } catch (error) {
        // Not attempted: the votes stay pending and recoverPending() counts them once the database is back.
        for (const item of batch) item.reject(error);
        continue;
      }
      try {
        queue.writing = batch;
        await this.write(queue.surveyId, batch);
        queue.unmarked = batch.flatMap((item) => (item.markerId ? [item.markerId] : []));
        for (const item of batch) item.resolve();
      } catch (error) {
        // Events alone cannot be told landed or not; they are best-effort counters and are dropped.
        if (batch.some((item) => item.markerId)) queue.failed = batch;
        for (const item of batch) item.reject(error);
        continue;
      } finally {
        queue.writing = [];
      }
      try {
        await this.markCounted(queue);
      } catch (error) {
        this.options.logger.warn({ err: error, survey: String(queue.surveyId) }, 'could not delete counted pending markers; will retry before the next write');
      }
    }
    queue.flushing = false;
  }

  /** One $inc for the tally and one per day slice, each recording the markers it counts. */
  private async write(surveyId: Types.ObjectId, batch: QueuedCount[]): Promise<void> {
    const writeConcern = this.options.writeConcern;
    const tally: Increments = {};
    const tallyMarkers: string[] = [];
    const slices = new Map<string, { inc: Increments; markers: string[] }>();
    for (const item of batch) {
      if (item.tally) {
        addIncrements(tally, item.tally);
        if (item.markerId) tallyMarkers.push(item.markerId);
      }
      for (const [day, inc] of item.slices) {
        const slice = slices.get(day) ?? { inc: {}, markers: [] };
        addIncrements(slice.inc, inc);
        if (item.markerId) slice.markers.push(item.markerId);
        slices.set(day, slice);
      }
    }
    const writes: Array<Promise<unknown>> = [...slices].map(([day, slice]) =>
      this.models.TallySlice.updateOne(
        { _id: sliceId(surveyId, day) },
        { $inc: slice.inc, $set: { survey: surveyId, day, [`lastBatch.${this.writerId}`]: slice.markers } },
        { upsert: true, writeConcern },
      ),
    );
    if (Object.keys(tally).length > 0) {
      const update = tallyMarkers.length > 0 ? { $inc: tally, $set: { [`lastBatch.${this.writerId}`]: tallyMarkers } } : { $inc: tally };
      writes.push(
        this.models.Tally.updateOne({ survey: surveyId }, update, { writeConcern }).then((result) => {
          if (result.matchedCount !== 1) throw new Error(`survey ${String(surveyId)} has no tally document`);
        }),
      );
    }
    const failure = (await Promise.allSettled(writes)).find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Finishes a failed write: writes again only the parts whose documents do not record their marker. */
  private async repair(queue: SurveyQueue): Promise<void> {
    const failed = queue.failed;
    if (!failed) return;
    const marked = failed.filter((item) => item.markerId);
    const landed = await this.landedParts(queue.surveyId, marked.map((item) => ({ id: item.markerId!, days: [...item.slices.keys()] })));
    const missing = marked.flatMap((item) => {
      const rest = this.missingParts(item, landed.get(item.markerId!)!);
      return rest ? [rest] : [];
    });
    if (missing.length > 0) await this.write(queue.surveyId, missing);
    queue.failed = null;
    queue.unmarked = [...queue.unmarked, ...marked.map((item) => item.markerId!)];
    this.options.logger.info({ survey: String(queue.surveyId), batches: marked.length, rewritten: missing.length }, 'finished a failed tally write');
  }

  /** The part of an item its documents do not record yet, or null when all of it landed. */
  private missingParts(item: Omit<QueuedCount, 'resolve' | 'reject'>, landed: Landed): QueuedCount | null {
    const tally = landed.tally ? undefined : item.tally;
    const slices = new Map([...item.slices].filter(([day]) => !landed.days.has(day)));
    if (!tally && slices.size === 0) return null;
    return { markerId: item.markerId, votes: item.votes, tally, slices, resolve: noop, reject: noop };
  }

  /** For each marker, whether the tally and which of its days' slices record it (for any writer). */
  private async landedParts(surveyId: Types.ObjectId, markers: Array<{ id: string; days: string[] }>): Promise<Map<string, Landed>> {
    const days = [...new Set(markers.flatMap((marker) => marker.days))];
    const [tally, ...slices] = await Promise.all([
      this.models.Tally.findOne({ survey: surveyId }, { lastBatch: 1 }).lean<{ lastBatch?: Record<string, string[]> }>(),
      ...days.map((day) => this.models.TallySlice.findById(sliceId(surveyId, day), { lastBatch: 1 }).lean<{ lastBatch?: Record<string, string[]> }>()),
    ]);
    const recorded = (doc: { lastBatch?: Record<string, string[]> } | null) => new Set(Object.values(doc?.lastBatch ?? {}).flat());
    const inTally = recorded(tally);
    const inSlice = new Map(days.map((day, i) => [day, recorded(slices[i] ?? null)]));
    return new Map(markers.map((marker) => [marker.id, { tally: inTally.has(marker.id), days: new Set(marker.days.filter((day) => inSlice.get(day)!.has(marker.id))) }]));
  }

  private async markCounted(queue: SurveyQueue): Promise<void> {
    if (queue.unmarked.length === 0) return;
    await this.models.TallyPending.deleteMany({ _id: { $in: queue.unmarked } });
    queue.unmarked = [];
  }

  /**
   * Counts votes left pending by a crash or a database outage, exactly once. Only markers older than
   * minAgeMs are looked at, so votes still on their way through a live writer are left alone.
   */
  async recoverPending(minAgeMs = 60_000): Promise<{ alreadyCounted: number; counted: number; notStored: number }> {
    for (const queue of this.queues.values()) if (!queue.flushing) await this.repair(queue).catch(noop);
    const inFlight = new Set([...this.queues.values()].flatMap((queue) => [...queue.items, ...queue.writing, ...(queue.failed ?? [])].map((item) => item.markerId)));
    const markers = (await this.models.TallyPending.find({ at: { $lt: new Date(Date.now() - minAgeMs) } }).limit(1000).lean<TallyPending[]>()).filter((m) => !inFlight.has(m._id));
    const totals = { alreadyCounted: 0, counted: 0, notStored: 0 };
    const bySurvey = new Map<string, TallyPending[]>();
    for (const marker of markers) bySurvey.set(String(marker.survey), [...(bySurvey.get(String(marker.survey)) ?? []), marker]);
    for (const [surveyKey, surveyMarkers] of bySurvey) {
      const surveyId = new Types.ObjectId(surveyKey);
      const survey = await this.models.Survey.findById(surveyId, { questions: 1 }).lean<CountedSurvey>();
      const stored = survey ? await this.storedResponses(surveyMarkers.flatMap(pendingResponseIds)) : new Map<string, SurveyResponse>();
      const counting: Array<Promise<void>> = [];
      const items = surveyMarkers.map((marker) => {
        const responses = pendingResponseIds(marker).flatMap((id) => stored.get(id) ?? []);
        totals.notStored += pendingResponseIds(marker).length - responses.length;
        const sums = new TallySums(survey?.questions ?? []);
        for (const response of responses) sums.add(response);
        return { marker, responses, counts: { markerId: marker._id, votes: responses.length, tally: sums.tally, slices: sums.slices } };
      });
      const landed = await this.landedParts(surveyId, items.filter((item) => item.responses.length > 0).map((item) => ({ id: item.marker._id, days: [...item.counts.slices.keys()] })));
      for (const item of items) {
        const rest = item.responses.length > 0 ? this.missingParts(item.counts, landed.get(item.marker._id)!) : null;
        if (rest) {
          counting.push(this.enqueue(surveyId, rest));
          totals.counted += item.responses.length;
        } else {
          await this.models.TallyPending.deleteOne({ _id: item.marker._id });
          totals.alreadyCounted += item.responses.length;
        }
      }
      await Promise.all(counting);
    }
    await this.drain();
    if (markers.length > 0) this.options.logger.info(totals, 'recovered pending tally updates');
    return totals;
  }

  /** The stored responses among these ids, read in chunks (on FerretDB each read passes over every response). */
  private async storedResponses(ids: string[]): Promise<Map<string, SurveyResponse>> {
    const found = new Map<string, SurveyResponse>();
    const objectIds = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
    for (let start = 0; start < objectIds.length; start += 1000) {
      const chunk = await this.models.Response.find({ _id: { $in: objectIds.slice(start, start + 1000) } }).lean<SurveyResponse[]>();
      for (const response of chunk) found.set(String(response._id), response);
    }
    return found;
  }
}
