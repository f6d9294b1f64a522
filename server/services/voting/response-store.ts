/**
 * Stores accepted votes with group commit: votes that arrive while a write is under way go together into
 * the next one, as one insert of pending markers (one per survey) and one insert of their responses. Each
 * round trip costs the database far more than each document in it, so a busy survey's votes cost a few
 * writes, not one each. A vote counts as stored once the database acknowledged its response; its count
 * follows (TallyWriter), guarded by its marker. When the insert gives no answer, the residents get 503 and
 * the batch is settled in the background: whatever of it was stored is counted all the same.
 */
import type { WriteConcernSettings } from 'mongodb';
import type { Types } from 'mongoose';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import { isTombstone } from '../tallies/batch-settler.js';
import { isDuplicateKey, perDocumentErrors } from '../../db/keyed-writes.js';
import { MAX_ID_GENERATIONS } from './response-id.js';
import type { Marker, TallyWriter } from '../tallies/tally-writer.js';

/** Responses per insert; well under the wire protocol's message size even for the largest forms. */
const MAX_BATCH = 200;

/** `stored`: the response is in the database now. `duplicate`: its submission id was stored before (a retried post). */
export type StoreOutcome = 'stored' | 'duplicate';

interface Waiting {
  survey: Pick<Survey, '_id' | 'questions'>;
  response: SurveyResponse;
  /** Of the response's id (see responseIdFor). */
  generation: number;
  resolve(outcome: StoreOutcome): void;
  reject(error: unknown): void;
}

/** How long after its last write the store still counts as storing votes: the gap between two batches. */
const STORING_GAP_MS = 250;

export class ResponseStore {
  private queue: Waiting[] = [];
  private writing = false;
  private lastWriteEnded = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly models: Models,
    private readonly tallyWriter: TallyWriter,
    private readonly options: { writeConcern?: WriteConcernSettings; logger: Logger; idFor(survey: Types.ObjectId, submissionId: string, generation: number): Types.ObjectId },
  ) {}

  store(survey: Pick<Survey, '_id' | 'questions'>, response: SurveyResponse, generation = 0): Promise<StoreOutcome> {
    const stored = new Promise<StoreOutcome>((resolve, reject) => this.queue.push({ survey, response, generation, resolve, reject }));
    if (!this.writing) {
      this.writing = true;
      // Votes of the same tick join the first write.
      setImmediate(() => void this.writeQueued());
    }
    return stored;
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const failure = await this.write(this.queue.splice(0, MAX_BATCH));
      // The votes that queued meanwhile would meet the same outage after another timeout: the resident
      // learns now (503, Retry-After) and posts the same form again later.
      if (failure) for (const waiting of this.queue.splice(0)) waiting.reject(failure.error);
    }
    this.writing = false;
    this.lastWriteEnded = performance.now();
  }

  /** Whether residents' votes are being stored now or were a moment ago (heavy analysis then gives way). */
  isStoring(): boolean {
    return this.writing || performance.now() - this.lastWriteEnded < STORING_GAP_MS;
  }

  /** Never throws: every vote of the batch is resolved or rejected. Says why when the whole batch failed. */
  private async write(batch: Waiting[]): Promise<{ error: unknown } | undefined> {
    const bySurvey = new Map<string, Waiting[]>();
    for (const waiting of batch) bySurvey.set(String(waiting.survey._id), [...(bySurvey.get(String(waiting.survey._id)) ?? []), waiting]);
    const groups = [...bySurvey.values()];
    let markers: Marker[];
    try {
      markers = await this.tallyWriter.markPending(groups.map((group) => ({ survey: group[0]!.survey._id, responseIds: group.map((w) => w.response._id) })));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return { error };
    }

    groups.forEach((group, i) => {
      for (const waiting of group) waiting.response.batch = markers[i]!.token;
    });
    let errors = new Map<number, { code?: number; errmsg?: string }>();
    try {
      await this.models.Response.collection.insertMany(
        batch.map((waiting) => waiting.response),
        { ordered: false, writeConcern: this.options.writeConcern },
      );
    } catch (error) {
      const perDocument = perDocumentErrors(error);
      if (!perDocument) {
        // Not awaited: while the database is away, settling takes as long as the outage.
        groups.forEach((group, i) => {
          this.tallyWriter.settle(group[0]!.survey, markers[i]!).catch((settleError: unknown) => {
            this.options.logger.warn({ err: settleError, survey: String(group[0]!.survey._id) }, 'could not settle a vote batch; recovery will');
          });
        });
        for (const waiting of batch) waiting.reject(error);
        return { error };
      }
      errors = perDocument;
    }

    const outcomes = new Map(batch.map((waiting, i) => [waiting, errors.get(i)]));
    groups.forEach((group, i) => {
      const stored = group.filter((waiting) => !outcomes.get(waiting));
      this.tallyWriter.countStored(group[0]!.survey, markers[i]!, stored.map((waiting) => waiting.response)).catch((error: unknown) => {
        // The votes are stored and acknowledged; their marker lets recovery count them later.
        this.options.logger.warn({ err: error, survey: String(group[0]!.survey._id) }, 'vote count failed; batch left pending');
      });
    });
    let fenced: Set<string> | { error: unknown };
    try {
      fenced = await this.fencedIds([...outcomes].filter(([, error]) => error !== undefined && isDuplicateKey(error)).map(([waiting]) => waiting.response._id));
    } catch (error) {
      fenced = { error };
    }
    for (const [waiting, error] of outcomes) {
      if (!error) waiting.resolve('stored');
      // A repeated post that cannot be told from a fenced one yet is refused (503); the resident posts again.
      else if (isDuplicateKey(error) && !(fenced instanceof Set)) waiting.reject(fenced.error);
      else if (isDuplicateKey(error) && (fenced as Set<string>).has(String(waiting.response._id))) this.storeAgain(waiting);
      else if (isDuplicateKey(error)) waiting.resolve('duplicate');
      else waiting.reject(Object.assign(new Error(error.errmsg ?? 'the response could not be stored'), { code: error.code }));
    }
    return undefined;
  }

  /** Of these ids, those held by a tombstone: an earlier post of the same form that was never stored. */
  private async fencedIds(ids: Types.ObjectId[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const holders = await this.models.Response.collection.find({ _id: { $in: ids } }, { projection: { survey: 1 } }).toArray();
    return new Set(holders.filter((holder) => isTombstone(holder)).map((holder) => String(holder._id)));
  }

  private storeAgain(waiting: Waiting): void {
    const generation = waiting.generation + 1;
    if (generation >= MAX_ID_GENERATIONS) {
      waiting.reject(new Error('the form was posted too many times without being stored'));
      return;
    }
    const response = { ...waiting.response, _id: this.options.idFor(waiting.survey._id, waiting.response.submissionId, generation) };
    this.store(waiting.survey, response, generation).then(waiting.resolve, waiting.reject);
  }
}
