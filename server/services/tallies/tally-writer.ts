/**
 * The only code that writes tally documents. Votes for one survey are queued and merged into one $inc per
 * batch (group commit), one batch at a time. That keeps counts exact on FerretDB 1.24, whose SQLite backend
 * applies concurrent updates to one document without isolation and loses some of them, and it spares
 * MongoDB a hot-document write per vote.
 *
 * Exactly-once without transactions: a vote is marked pending (TallyPending) before its response is
 * inserted; each batch records its response ids under lastBatch[writerId], and their pending markers are
 * deleted before the next batch may overwrite that record. After a crash, a pending vote listed there is
 * already counted; one not listed is not. See recoverPending(). Only small collections are ever searched.
 */
import { randomBytes } from 'node:crypto';
import type { WriteConcernSettings } from 'mongodb';
import { Types } from 'mongoose';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import type { IntegrityCounters } from '../../models/tally.model.js';
import { addIncrements, responseIncrements, type Increments } from './tally-increments.js';

const MAX_BATCH = 500;

interface QueuedIncrement {
  inc: Increments;
  responseId?: string;
  resolve(): void;
  reject(error: unknown): void;
}

interface SurveyQueue {
  surveyId: Types.ObjectId;
  items: QueuedIncrement[];
  flushing: boolean;
  /** Ids counted by the last batch whose responses could not yet be marked counted. */
  unmarked: string[];
}

export class TallyWriter {
  readonly writerId = randomBytes(6).toString('hex');
  private readonly queues = new Map<string, SurveyQueue>();
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly models: Models,
    private readonly options: { writeConcern?: WriteConcernSettings; logger: Logger },
  ) {}

  /** Adds one accepted response to its survey's tally; resolves once the database acknowledged the batch. */
  countResponse(survey: Pick<Survey, '_id' | 'questions'>, response: Pick<SurveyResponse, '_id' | 'answers' | 'day' | 'district' | 'channel'>): Promise<void> {
    return this.enqueue(survey._id, responseIncrements(survey.questions, response), String(response._id));
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
    return this.enqueue(surveyId, { [`integrity.${event}`]: 1 });
  }

  /** Resolves when every queue is empty (tests, shutdown). */
  async drain(): Promise<void> {
    while ([...this.queues.values()].some((q) => q.flushing || q.items.length > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await this.idle;
  }

  private enqueue(surveyId: Types.ObjectId, inc: Increments, responseId?: string): Promise<void> {
    const key = String(surveyId);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { surveyId, items: [], flushing: false, unmarked: [] };
      this.queues.set(key, queue);
    }
    const promise = new Promise<void>((resolve, reject) => queue.items.push({ inc, responseId, resolve, reject }));
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
        await this.markCounted(queue);
        const merged = batch.reduce((sum, item) => addIncrements(sum, item.inc), {} as Increments);
        const ids = batch.flatMap((item) => (item.responseId ? [item.responseId] : []));
        const update = ids.length > 0 ? { $inc: merged, $set: { [`lastBatch.${this.writerId}`]: ids } } : { $inc: merged };
        const result = await this.models.Tally.updateOne({ survey: queue.surveyId }, update, { writeConcern: this.options.writeConcern });
        if (result.matchedCount !== 1) throw new Error(`survey ${String(queue.surveyId)} has no tally document`);
        queue.unmarked = ids;
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
        continue;
      }
      try {
        await this.markCounted(queue);
      } catch (error) {
        this.options.logger.warn({ err: error, survey: String(queue.surveyId) }, 'could not mark responses counted; will retry before the next batch');
      }
    }
    queue.flushing = false;
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
    const markers = await this.models.TallyPending.find({ at: { $lt: new Date(Date.now() - minAgeMs) } }).limit(5000).lean();
    let alreadyCounted = 0;
    let counted = 0;
    let notStored = 0;
    const bySurvey = new Map<string, typeof markers>();
    for (const marker of markers) bySurvey.set(String(marker.survey), [...(bySurvey.get(String(marker.survey)) ?? []), marker]);
    for (const [surveyKey, surveyMarkers] of bySurvey) {
      const surveyId = new Types.ObjectId(surveyKey);
      const [survey, tally] = await Promise.all([
        this.models.Survey.findById(surveyId, { questions: 1 }).lean<Pick<Survey, '_id' | 'questions'>>(),
        this.models.Tally.findOne({ survey: surveyId }, { lastBatch: 1 }).lean<{ lastBatch?: Record<string, string[]> }>(),
      ]);
      const inBatches = new Set(Object.values(tally?.lastBatch ?? {}).flat());
      for (const marker of surveyMarkers) {
        const response = inBatches.has(marker._id) || !survey ? null : await this.models.Response.findById(marker._id).lean<SurveyResponse>();
        if (response && survey) {
          await this.countResponse(survey, response);
          counted += 1;
        } else {
          await this.models.TallyPending.deleteOne({ _id: marker._id });
          if (inBatches.has(marker._id)) alreadyCounted += 1;
          else notStored += 1;
        }
      }
    }
    await this.drain();
    if (markers.length > 0) this.options.logger.info({ alreadyCounted, counted, notStored }, 'recovered pending tally updates');
    return { alreadyCounted, counted, notStored };
  }
}
