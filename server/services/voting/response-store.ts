/**
 * Stores accepted votes with group commit: votes that arrive while a write is under way go together into
 * the next one, as one insert of pending markers (one per survey) and one insert of their responses. Each
 * round trip costs the database far more than each document in it, so a busy survey's votes cost a few
 * writes, not one each. A vote counts as stored once the database acknowledged its response; its tally
 * follows (TallyWriter), guarded by its marker.
 */
import type { WriteConcernSettings } from 'mongodb';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { SurveyResponse } from '../../models/response.model.js';
import type { Survey } from '../../models/survey.model.js';
import type { TallyWriter } from '../tallies/tally-writer.js';

/** Responses per insert; well under the wire protocol's message size even for the largest forms. */
const MAX_BATCH = 200;

/** `stored`: the response is in the database now. `duplicate`: its submission id was stored before (a retried post). */
export type StoreOutcome = 'stored' | 'duplicate';

interface Waiting {
  survey: Pick<Survey, '_id' | 'questions'>;
  response: SurveyResponse;
  resolve(outcome: StoreOutcome): void;
  reject(error: unknown): void;
}

interface WriteError {
  index: number;
  code?: number;
  errmsg?: string;
}

/** The per-document errors of an unordered insert, or undefined when the insert failed as a whole. */
function perDocumentErrors(error: unknown): Map<number, WriteError> | undefined {
  if ((error as { name?: string }).name !== 'MongoBulkWriteError') return undefined;
  const writeErrors = (error as { writeErrors?: WriteError | WriteError[] }).writeErrors ?? [];
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  // The driver also throws a bulk write error, with no per-document errors, when the connection broke or the
  // write concern failed: then the server confirmed none of the documents, and none may be acknowledged.
  if (list.length === 0) return undefined;
  return new Map(list.map((e) => [e.index, e]));
}

export class ResponseStore {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly models: Models,
    private readonly tallyWriter: TallyWriter,
    private readonly options: { writeConcern?: WriteConcernSettings; logger: Logger },
  ) {}

  store(survey: Pick<Survey, '_id' | 'questions'>, response: SurveyResponse): Promise<StoreOutcome> {
    const stored = new Promise<StoreOutcome>((resolve, reject) => this.queue.push({ survey, response, resolve, reject }));
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
  }

  /** Never throws: every vote of the batch is resolved or rejected. Says why when the whole batch failed. */
  private async write(batch: Waiting[]): Promise<{ error: unknown } | undefined> {
    const bySurvey = new Map<string, Waiting[]>();
    for (const waiting of batch) bySurvey.set(String(waiting.survey._id), [...(bySurvey.get(String(waiting.survey._id)) ?? []), waiting]);
    const groups = [...bySurvey.values()];
    let markerIds: string[];
    try {
      markerIds = await this.tallyWriter.markPending(groups.map((group) => ({ survey: group[0]!.survey._id, responseIds: group.map((w) => String(w.response._id)) })));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return { error };
    }

    let errors = new Map<number, WriteError>();
    try {
      await this.models.Response.collection.insertMany(
        batch.map((waiting) => waiting.response),
        { ordered: false, writeConcern: this.options.writeConcern },
      );
    } catch (error) {
      const perDocument = perDocumentErrors(error);
      if (!perDocument) {
        // Not awaited: while the database is down it would hold every resident for another timeout, and a
        // marker left behind is harmless (recovery finds no response for it and deletes it).
        this.tallyWriter.unmarkPending(markerIds).catch(() => {});
        for (const waiting of batch) waiting.reject(error);
        return { error };
      }
      errors = perDocument;
    }

    const outcomes = new Map<Waiting, WriteError | undefined>(batch.map((waiting, i) => [waiting, errors.get(i)]));
    groups.forEach((group, i) => {
      const stored = group.filter((waiting) => !outcomes.get(waiting));
      this.tallyWriter.countStored(group[0]!.survey, markerIds[i]!, stored.map((waiting) => waiting.response)).catch((error: unknown) => {
        // The votes are stored and acknowledged; their marker lets recoverPending() count them later.
        this.options.logger.warn({ err: error, survey: String(group[0]!.survey._id) }, 'tally update failed; votes left pending');
      });
    });
    for (const [waiting, error] of outcomes) {
      if (!error) waiting.resolve('stored');
      else if (error.code === 11000) waiting.resolve('duplicate');
      else waiting.reject(Object.assign(new Error(error.errmsg ?? 'the response could not be stored'), { code: error.code }));
    }
    return undefined;
  }
}
