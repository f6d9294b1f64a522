/**
 * The only code that writes tally documents and their day slices. Votes for one survey are queued and
 * merged into one $inc per document per batch (group commit), one batch at a time. That keeps counts exact
 * on FerretDB 1.24, whose SQLite backend applies concurrent updates to one document without isolation and
 * loses some of them, and it spares MongoDB a hot-document write per vote.
 *
 * Exactly-once without transactions: a vote is marked pending (TallyPending) before its response is
 * inserted. Each batch writes the survey's tally and the slice of each day it touches, and records in every
 * document it writes the response ids it counted there, under lastBatch[writerId]. Pending markers are
 * deleted before the next batch may overwrite those records. So while a marker exists, the records say which
 * of its two counts (tally, slice) already landed: a failed batch is finished from them before the next one
 * (repair), and after a crash recoverPending() counts what is missing. Only small collections are searched.
 */
import { randomBytes } from 'node:crypto';
import type { WriteConcernSettings } from 'mongodb';
import { Types } from 'mongoose';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import type { IntegrityCounters } from '../../models/tally.model.js';
import { addIncrements, responseIncrements, sliceId, sliceIncrements, type Increments } from './tally-increments.js';

const MAX_BATCH = 500;

type Counted = Pick<SurveyResponse, '_id' | 'answers' | 'day' | 'district' | 'channel'>;

interface QueuedCount {
  /** What goes into the survey's tally: a vote's counters or an integrity event. */
  tally?: Increments;
  /** What goes into the slice of the vote's day. */
  slice?: { day: string; inc: Increments };
  responseId?: string;
  resolve(): void;
  reject(error: unknown): void;
}

interface SurveyQueue {
  surveyId: Types.ObjectId;
  items: QueuedCount[];
  flushing: boolean;
  /** Ids counted by the last batch whose pending markers are not yet deleted. */
  unmarked: string[];
  /** The batch being written, if any. */
  writing: QueuedCount[];
  /** A batch whose writes failed: some may have landed. It is finished before any other batch. */
  failed: QueuedCount[] | null;
}

const noop = () => {};

export class TallyWriter {
  readonly writerId = randomBytes(6).toString('hex');
  private readonly queues = new Map<string, SurveyQueue>();

  constructor(
    private readonly models: Models,
    private readonly options: { writeConcern?: WriteConcernSettings; logger: Logger },
  ) {}

  /** Adds one accepted response to its survey's tally and day slice; resolves once the database acknowledged both. */
  countResponse(survey: Pick<Survey, '_id' | 'questions'>, response: Counted): Promise<void> {
    return this.enqueue(survey._id, this.countsOf(survey, response, { tally: true, slice: true }));
  }

  /** Marks a vote as on its way into the tally; call before inserting the response. */
  async markPending(response: Pick<SurveyResponse, '_id' | 'survey'>): Promise<void> {
    await this.models.TallyPending.create({ _id: String(response._id), survey: response.survey, at: new Date() });
  }

  /** Removes the marker of a vote whose response was not stored. */
  async unmarkPending(response: Pick<SurveyResponse, '_id'>): Promise<void> {
    await this.models.TallyPending.deleteOne({ _id: String(response._id) });
  }

  /** Counts a refused or repeated vote for the integrity panel. */
  countEvent(surveyId: Types.ObjectId, event: Exclude<keyof IntegrityCounters, 'accepted'>): Promise<void> {
    return this.enqueue(surveyId, { tally: { [`integrity.${event}`]: 1 } });
  }

  /** Resolves when every queue is empty (tests, shutdown). */
  async drain(): Promise<void> {
    while ([...this.queues.values()].some((q) => q.flushing || q.items.length > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private countsOf(survey: Pick<Survey, '_id' | 'questions'>, response: Counted, parts: { tally: boolean; slice: boolean }): Omit<QueuedCount, 'resolve' | 'reject'> {
    return {
      responseId: String(response._id),
      tally: parts.tally ? responseIncrements(survey.questions, response) : undefined,
      slice: parts.slice ? { day: response.day, inc: sliceIncrements(survey.questions, response) } : undefined,
    };
  }

  private queueOf(surveyId: Types.ObjectId): SurveyQueue {
    const key = String(surveyId);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { surveyId, items: [], flushing: false, unmarked: [], writing: [], failed: null };
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

  private async flush(queue: SurveyQueue): Promise<void> {
    queue.flushing = true;
    // Let votes arriving in the same tick join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.items.length > 0) {
      const batch = queue.items.splice(0, MAX_BATCH);
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
        queue.unmarked = batch.flatMap((item) => (item.responseId ? [item.responseId] : []));
        for (const item of batch) item.resolve();
      } catch (error) {
        // Events alone cannot be told landed or not; they are best-effort counters and are dropped.
        if (batch.some((item) => item.responseId)) queue.failed = batch;
        for (const item of batch) item.reject(error);
        continue;
      } finally {
        queue.writing = [];
      }
      try {
        await this.markCounted(queue);
      } catch (error) {
        this.options.logger.warn({ err: error, survey: String(queue.surveyId) }, 'could not mark responses counted; will retry before the next batch');
      }
    }
    queue.flushing = false;
  }

  /** One $inc for the tally and one per day slice, each recording the response ids it counts. */
  private async write(surveyId: Types.ObjectId, batch: QueuedCount[]): Promise<void> {
    const writeConcern = this.options.writeConcern;
    const tally: Increments = {};
    const tallyIds: string[] = [];
    const slices = new Map<string, { inc: Increments; ids: string[] }>();
    for (const item of batch) {
      if (item.tally) {
        addIncrements(tally, item.tally);
        if (item.responseId) tallyIds.push(item.responseId);
      }
      if (item.slice) {
        const slice = slices.get(item.slice.day) ?? { inc: {}, ids: [] };
        addIncrements(slice.inc, item.slice.inc);
        if (item.responseId) slice.ids.push(item.responseId);
        slices.set(item.slice.day, slice);
      }
    }
    const writes: Array<Promise<unknown>> = [...slices].map(([day, slice]) =>
      this.models.TallySlice.updateOne(
        { _id: sliceId(surveyId, day) },
        { $inc: slice.inc, $set: { survey: surveyId, day, [`lastBatch.${this.writerId}`]: slice.ids } },
        { upsert: true, writeConcern },
      ),
    );
    if (Object.keys(tally).length > 0) {
      const update = tallyIds.length > 0 ? { $inc: tally, $set: { [`lastBatch.${this.writerId}`]: tallyIds } } : { $inc: tally };
      writes.push(
        this.models.Tally.updateOne({ survey: surveyId }, update, { writeConcern }).then((result) => {
          if (result.matchedCount !== 1) throw new Error(`survey ${String(surveyId)} has no tally document`);
        }),
      );
    }
    const failure = (await Promise.allSettled(writes)).find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Finishes a failed batch: writes again only the counts whose documents do not record its ids. */
  private async repair(queue: SurveyQueue): Promise<void> {
    const failed = queue.failed;
    if (!failed) return;
    const landed = await this.landedCounts(queue.surveyId, failed.flatMap((item) => (item.responseId ? [{ id: item.responseId, day: item.slice?.day }] : [])));
    const missing = failed.flatMap((item): QueuedCount[] => {
      if (!item.responseId) return [];
      const done = landed.get(item.responseId)!;
      const tally = done.tally ? undefined : item.tally;
      const slice = done.slice ? undefined : item.slice;
      return tally || slice ? [{ responseId: item.responseId, tally, slice, resolve: noop, reject: noop }] : [];
    });
    if (missing.length > 0) await this.write(queue.surveyId, missing);
    queue.failed = null;
    queue.unmarked = [...queue.unmarked, ...failed.flatMap((item) => (item.responseId ? [item.responseId] : []))];
    this.options.logger.info({ survey: String(queue.surveyId), votes: failed.length, rewritten: missing.length }, 'finished a failed tally batch');
  }

  /** For each vote, whether a tally or slice record (of any writer) says its counts landed. */
  private async landedCounts(surveyId: Types.ObjectId, votes: Array<{ id: string; day?: string }>): Promise<Map<string, { tally: boolean; slice: boolean }>> {
    const days = [...new Set(votes.flatMap((vote) => (vote.day ? [vote.day] : [])))];
    const [tally, ...slices] = await Promise.all([
      this.models.Tally.findOne({ survey: surveyId }, { lastBatch: 1 }).lean<{ lastBatch?: Record<string, string[]> }>(),
      ...days.map((day) => this.models.TallySlice.findById(sliceId(surveyId, day), { lastBatch: 1 }).lean<{ lastBatch?: Record<string, string[]> }>()),
    ]);
    const recorded = (doc: { lastBatch?: Record<string, string[]> } | null) => new Set(Object.values(doc?.lastBatch ?? {}).flat());
    const inTally = recorded(tally);
    const inSlice = new Map(days.map((day, i) => [day, recorded(slices[i] ?? null)]));
    return new Map(votes.map((vote) => [vote.id, { tally: inTally.has(vote.id), slice: vote.day ? inSlice.get(vote.day)!.has(vote.id) : true }]));
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
    const inFlight = new Set([...this.queues.values()].flatMap((queue) => [...queue.items, ...queue.writing, ...(queue.failed ?? [])].map((item) => item.responseId)));
    const markers = (await this.models.TallyPending.find({ at: { $lt: new Date(Date.now() - minAgeMs) } }).limit(5000).lean()).filter((m) => !inFlight.has(m._id));
    let alreadyCounted = 0;
    let counted = 0;
    let notStored = 0;
    const bySurvey = new Map<string, typeof markers>();
    for (const marker of markers) bySurvey.set(String(marker.survey), [...(bySurvey.get(String(marker.survey)) ?? []), marker]);
    for (const [surveyKey, surveyMarkers] of bySurvey) {
      const surveyId = new Types.ObjectId(surveyKey);
      const survey = await this.models.Survey.findById(surveyId, { questions: 1 }).lean<Pick<Survey, '_id' | 'questions'>>();
      const responses = new Map<string, SurveyResponse>();
      for (const marker of surveyMarkers) {
        const response = survey ? await this.models.Response.findById(marker._id).lean<SurveyResponse>() : null;
        if (response) responses.set(marker._id, response);
      }
      const landed = await this.landedCounts(surveyId, [...responses.values()].map((r) => ({ id: String(r._id), day: r.day })));
      const counting: Array<Promise<void>> = [];
      for (const marker of surveyMarkers) {
        const response = responses.get(marker._id);
        const done = landed.get(marker._id);
        if (response && survey && done && !(done.tally && done.slice)) {
          counting.push(this.enqueue(surveyId, this.countsOf(survey, response, { tally: !done.tally, slice: !done.slice })));
          counted += 1;
        } else {
          await this.models.TallyPending.deleteOne({ _id: marker._id });
          if (response) alreadyCounted += 1;
          else notStored += 1;
        }
      }
      await Promise.all(counting);
    }
    await this.drain();
    if (markers.length > 0) this.options.logger.info({ alreadyCounted, counted, notStored }, 'recovered pending tally updates');
    return { alreadyCounted, counted, notStored };
  }
}
