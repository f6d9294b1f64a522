/**
 * Takes a resident's vote from form post to stored response and tally, applying the survey's one-vote
 * policy. Every outcome is counted for the integrity panel. The response insert is the moment of truth: it is
 * acknowledged by the database (majority, journaled where available) before the resident sees a receipt.
 */
import type { WriteConcernSettings } from 'mongodb';
import { AppError, BadRequestError, type FieldProblem } from '../../errors/index.js';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { Channel, SurveyResponse } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Locale } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { IntegrityCounters } from '../../models/tally.model.js';
import { ValidationError } from '../../errors/index.js';
import type { AnswerValidatorCache, Submission } from '../surveys/answer-validator.js';
import type { TallyWriter } from '../tallies/tally-writer.js';
import { hashClientAddress } from './client-address.js';
import type { FormTokens } from './form-token.js';
import type { InvitationCodes } from './invitation-codes.js';
import type { RateLimiter } from './rate-limiter.js';
import { generateReceipt } from './receipt.js';
import { effectiveStatus } from './survey-availability.js';
import type { PublishedSurvey } from './survey-directory.js';
import { parseVoteForm, type ParsedVoteForm } from './vote-form-parser.js';

export interface VoteRequest {
  published: PublishedSurvey;
  body: unknown;
  csrfCookie: string | undefined;
  /** Receipt from this browser's signed "has voted" cookie for the survey, if any. */
  votedReceipt: string | undefined;
  clientAddress: string | undefined;
  locale: Locale;
  channel?: Channel;
  now?: Date;
}

export type VoteOutcome =
  | { kind: 'accepted'; receipt: string; replay: boolean }
  | { kind: 'invalid'; problems: FieldProblem[]; form: ParsedVoteForm }
  | { kind: 'too-fast'; form: ParsedVoteForm }
  | { kind: 'code-refused'; problem: 'missing' | 'invalid' | 'expired' | 'used'; form: ParsedVoteForm }
  | { kind: 'already-voted'; receipt: string | undefined }
  | { kind: 'closed' };

/** The form's token is stale, from another survey, or the browser's CSRF cookie does not match it. */
export class FormExpiredError extends AppError {
  constructor() {
    super(403, 'form_expired', 'This form has expired or was opened in another browser. Please reload the survey and answer again.');
  }
}

export interface VoteServiceOptions {
  secret: string;
  minFillSeconds: number;
  rateLimit: { limit: number; windowSeconds: number };
  writeConcern: WriteConcernSettings | undefined;
  logger: Logger;
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of the moment in the time zone. */
export function calendarDay(date: Date, timeZone: string): string {
  let formatter = dayFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, formatter);
  }
  return formatter.format(date);
}

const HOUR_MS = 3600_000;

export class VoteService {
  constructor(
    private readonly models: Models,
    private readonly deps: {
      validators: AnswerValidatorCache;
      tokens: FormTokens;
      rateLimiter: RateLimiter;
      codes: InvitationCodes;
      tallyWriter: TallyWriter;
    },
    private readonly options: VoteServiceOptions,
  ) {}

  async submit(request: VoteRequest): Promise<VoteOutcome> {
    const { bureau, survey } = request.published;
    const now = request.now ?? new Date();
    if (effectiveStatus(survey, now) !== 'open') return { kind: 'closed' };

    const form = parseVoteForm(request.body, survey.questions);
    const token = this.deps.tokens.verify(form.token, String(survey._id), request.csrfCookie, now.getTime());
    if (typeof token === 'string') {
      this.count(survey, 'refused');
      if (token === 'malformed' || token === 'forged') throw new BadRequestError('The form is missing its security field or it was altered. Please reload the survey.');
      throw new FormExpiredError();
    }

    if (request.votedReceipt !== undefined) {
      const replay = await this.findBySubmission(survey, token.submissionId);
      if (replay) return { kind: 'accepted', receipt: replay.receipt, replay: true };
      this.count(survey, 'duplicate');
      return { kind: 'already-voted', receipt: request.votedReceipt };
    }
    if (form.honeypot.trim() !== '') {
      this.count(survey, 'refused');
      throw new BadRequestError('This form could not be accepted.');
    }
    if (now.getTime() - token.issuedAt < this.options.minFillSeconds * 1000) {
      this.count(survey, 'refused');
      return { kind: 'too-fast', form };
    }

    const clientHash = hashClientAddress(request.clientAddress, this.options.secret);
    try {
      await this.deps.rateLimiter.hit(`vote:${String(survey._id)}:${clientHash}`, this.options.rateLimit, now.getTime());
    } catch (error) {
      this.count(survey, 'rateLimited');
      throw error;
    }

    const validator = this.deps.validators.get(String(survey._id), survey.revision, survey.questions, bureau.districts.map((d) => d.id));
    let submission: Submission;
    try {
      submission = validator.validate(form.submission);
      if (form.problems.length > 0) throw new ValidationError(form.problems);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.count(survey, 'invalid');
      const problems = [...form.problems, ...error.problems.filter((p) => !form.problems.some((f) => f.pointer === p.pointer))];
      return { kind: 'invalid', problems, form };
    }

    const day = calendarDay(now, bureau.timezone);
    let claimedCode: string | undefined;
    if (survey.settings.votePolicy === 'invitation') {
      // A retried post must find its vote before its (now used) code is tried again.
      const replay = await this.findBySubmission(survey, token.submissionId);
      if (replay) return { kind: 'accepted', receipt: replay.receipt, replay: true };
      if (!form.code) return { kind: 'code-refused', problem: 'missing', form };
      const claim = await this.deps.codes.claim(survey._id, form.code, day);
      if (!claim.ok) {
        if (claim.problem === 'used') {
          const raced = await this.findBySubmission(survey, token.submissionId);
          if (raced) return { kind: 'accepted', receipt: raced.receipt, replay: true };
          this.count(survey, 'duplicate');
        } else {
          this.count(survey, 'refused');
        }
        return { kind: 'code-refused', problem: claim.problem, form };
      }
      claimedCode = claim.codeHash;
    }

    if (survey.settings.responseCap !== undefined && (await this.responseCount(survey)) >= survey.settings.responseCap) {
      if (claimedCode) await this.deps.codes.release(claimedCode);
      return { kind: 'closed' };
    }

    const district = survey.questions.find((q) => q.type === 'district');
    const districtAnswer = district ? submission.answers[district.id] : undefined;
    const response = {
      survey: survey._id,
      bureau: bureau._id,
      submissionId: token.submissionId,
      answers: submission.answers,
      otherText: submission.otherText,
      submittedAt: new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS),
      day,
      district: typeof districtAnswer === 'string' && districtAnswer !== OTHER_OPTION_ID ? districtAnswer : null,
      channel: request.channel ?? 'web',
      locale: request.locale,
      clientHash: survey.settings.anonymity === 'confidential' ? clientHash : null,
      tallyState: 'pending' as const,
    };

    let inserted: { stored: SurveyResponse } | { replayReceipt: string };
    try {
      inserted = await this.insertResponse(response);
    } catch (error) {
      if (claimedCode) await this.deps.codes.release(claimedCode).catch(() => {});
      throw error;
    }
    if ('replayReceipt' in inserted) {
      this.count(survey, 'duplicate');
      if (claimedCode) await this.deps.codes.release(claimedCode).catch(() => {});
      return { kind: 'accepted', receipt: inserted.replayReceipt, replay: true };
    }
    const stored = inserted.stored;

    try {
      await this.deps.tallyWriter.countResponse(survey, stored);
    } catch (error) {
      // The vote is stored and acknowledged; its tally update is repaired by recoverPending().
      this.options.logger.warn({ err: error, survey: String(survey._id) }, 'tally update failed; response left pending');
    }
    return { kind: 'accepted', receipt: stored.receipt, replay: false };
  }

  /** The stored response with this receipt, to show the thank-you page. */
  async findByReceipt(survey: Pick<Survey, '_id'>, receipt: string): Promise<Pick<SurveyResponse, 'receipt' | 'submittedAt'> | null> {
    return this.models.Response.findOne({ survey: survey._id, receipt }, { receipt: 1, submittedAt: 1 }).lean();
  }

  private findBySubmission(survey: Pick<Survey, '_id'>, submissionId: string) {
    return this.models.Response.findOne({ survey: survey._id, submissionId }, { receipt: 1 }).lean<Pick<SurveyResponse, 'receipt'>>();
  }

  private async responseCount(survey: Pick<Survey, '_id'>): Promise<number> {
    const tally = await this.models.Tally.findOne({ survey: survey._id }, { total: 1 }).lean();
    return tally?.total ?? 0;
  }

  /**
   * Inserts the response under a fresh receipt. A duplicate-key error means either a retried post (same
   * submission id: answer with the stored receipt) or, rarely, a receipt already taken (try another).
   * FerretDB does not say which index refused the insert, so we look.
   */
  private async insertResponse(response: Omit<SurveyResponse, '_id' | 'receipt'>): Promise<{ stored: SurveyResponse } | { replayReceipt: string }> {
    const concern = this.options.writeConcern;
    const options = concern ? { w: concern.w as number | string, j: concern.journal } : {};
    for (let attempt = 1; ; attempt += 1) {
      try {
        const created = await this.models.Response.insertOne({ ...response, receipt: generateReceipt() }, options);
        return { stored: created.toObject() };
      } catch (error) {
        if ((error as { code?: number }).code !== 11000 || attempt >= 5) throw error;
        const existing = await this.findBySubmission({ _id: response.survey }, response.submissionId);
        if (existing) return { replayReceipt: existing.receipt };
      }
    }
  }

  /** Integrity counters are best-effort: a failure to count must not fail the resident's request. */
  private count(survey: Pick<Survey, '_id'>, event: Exclude<keyof IntegrityCounters, 'accepted'>): void {
    this.deps.tallyWriter.countEvent(survey._id, event).catch((error: unknown) => this.options.logger.warn({ err: error, event }, 'could not count vote event'));
  }
}
