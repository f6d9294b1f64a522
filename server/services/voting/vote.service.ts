/**
 * Takes a resident's vote from form post to stored response and tally, applying the survey's one-vote
 * policy. Every outcome is counted for the integrity panel. The response insert is the moment of truth: it is
 * acknowledged by the database (majority, journaled where available) before the resident sees a receipt.
 */
import { AppError, BadRequestError, ValidationError, type FieldProblem } from '../../errors/index.js';
import type { Logger } from '../../logging/logger.js';
import type { Models } from '../../models/index.js';
import type { Channel, SurveyResponse } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Locale } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { IntegrityCounters } from '../../models/tally.model.js';
import type { AnswerValidatorCache, Submission } from '../surveys/answer-validator.js';
import type { TallyWriter } from '../tallies/tally-writer.js';
import { isTombstone } from '../tallies/batch-settler.js';
import type { TallyService } from '../tallies/tally.service.js';
import { hashClientAddress, hashClientSite } from './client-address.js';
import type { FormTokenPayload, FormTokens } from './form-token.js';
import type { InvitationCodes } from './invitation-codes.js';
import { KeyedSerializer } from './keyed-serializer.js';
import type { Receipts } from './receipt.js';
import type { RefusalCounter } from './refusal-counter.js';
import { MAX_ID_GENERATIONS, responseIdFor } from './response-id.js';
import type { ResponseStore, StoreOutcome } from './response-store.js';
import { effectiveStatus } from './survey-availability.js';
import type { PublishedSurvey } from './survey-directory.js';
import { parseVoteForm, type ParsedVoteForm } from './vote-form-parser.js';
import type { VoteRateLimiter } from './vote-rate-limiter.js';
import type { VoteWatch } from './vote-watch.js';

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
  | { kind: 'invalid'; problems: FieldProblem[]; form: ParsedVoteForm; token: FormTokenPayload }
  | { kind: 'too-fast'; form: ParsedVoteForm; token: FormTokenPayload }
  | { kind: 'code-refused'; problem: 'missing' | 'invalid' | 'expired' | 'used'; form: ParsedVoteForm; token: FormTokenPayload }
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
  logger: Logger;
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();
/** Every time zone's offset is a whole number of quarter hours, so its calendar day holds for each quarter hour. */
const QUARTER_HOUR_MS = 15 * 60_000;
const lastDays = new Map<string, { quarter: number; day: string }>();

/** YYYY-MM-DD of the moment in the time zone. */
export function calendarDay(date: Date, timeZone: string): string {
  const quarter = Math.floor(date.getTime() / QUARTER_HOUR_MS);
  const last = lastDays.get(timeZone);
  if (last?.quarter === quarter) return last.day;
  let formatter = dayFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, formatter);
  }
  const day = formatter.format(date);
  lastDays.set(timeZone, { quarter, day });
  return day;
}

const HOUR_MS = 3600_000;

type RefusalReason = 'badToken' | 'honeypot' | 'tooFast' | 'codeRefused';

/** A valid vote on its way to be stored. */
interface PendingVote {
  request: VoteRequest;
  submission: Submission;
  token: FormTokenPayload;
  receipt: string;
  clientHash: string;
  now: Date;
  day: string;
}

export class VoteService {
  private readonly postsByCode = new KeyedSerializer();

  constructor(
    private readonly models: Models,
    private readonly deps: {
      validators: AnswerValidatorCache;
      tokens: FormTokens;
      rateLimiter: VoteRateLimiter;
      codes: InvitationCodes;
      responses: ResponseStore;
      tallyWriter: TallyWriter;
      tallies: TallyService;
      receipts: Receipts;
      refusals: RefusalCounter;
      watch: VoteWatch;
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
      this.countRefused(survey, request, now, 'badToken');
      if (token === 'malformed' || token === 'forged') throw new BadRequestError('The form is missing its security field or it was altered. Please reload the survey.');
      throw new FormExpiredError();
    }

    const receipt = this.deps.receipts.forSubmission(String(survey._id), token.submissionId);
    if (request.votedReceipt !== undefined) {
      // The browser has voted: the same form again is a retry of that vote, any other form a second vote.
      if (request.votedReceipt === receipt) return { kind: 'accepted', receipt, replay: true };
      this.count(survey, 'duplicate');
      return { kind: 'already-voted', receipt: request.votedReceipt };
    }
    if (form.honeypot.trim() !== '') {
      this.countRefused(survey, request, now, 'honeypot');
      throw new BadRequestError('This form could not be accepted.');
    }
    if (now.getTime() - token.issuedAt < this.options.minFillSeconds * 1000) {
      this.countRefused(survey, request, now, 'tooFast');
      return { kind: 'too-fast', form, token };
    }

    const clientHash = hashClientAddress(request.clientAddress, this.options.secret);
    const site = hashClientSite(request.clientAddress, this.options.secret);
    const validator = this.deps.validators.get(String(survey._id), survey.revision, survey.questions, bureau.districts.map((d) => d.id));
    let submission: Submission;
    try {
      submission = validator.validate(form.submission);
      if (form.problems.length > 0) throw new ValidationError(form.problems);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // Forms sent back with mistakes have a budget of their own: a flood of them from a carrier address
      // shared by many residents must not use up the votes those residents may send.
      this.hitRateLimit(survey, `${String(survey._id)}:invalid`, clientHash, now, site);
      this.count(survey, 'invalid');
      const problems = [...form.problems, ...error.problems.filter((p) => !form.problems.some((f) => f.pointer === p.pointer))];
      return { kind: 'invalid', problems, form, token };
    }

    this.hitRateLimit(survey, String(survey._id), clientHash, now, site);

    const day = calendarDay(now, bureau.timezone);
    const vote: PendingVote = { request, submission, token, receipt, clientHash, now, day };
    if (survey.settings.votePolicy !== 'invitation') return this.store(vote);
    if (!form.code) return { kind: 'code-refused', problem: 'missing', form, token };
    // One post per code at a time in this process: a burst with one code (a double click, or replays by an
    // attacker) waits for the first post, and the rest are then answered from memory, not the database.
    const code = form.code;
    return this.postsByCode.run(this.deps.codes.hash(code), () => this.storeWithCode(vote, form, code));
  }

  private async storeWithCode(vote: PendingVote, form: ParsedVoteForm, code: string): Promise<VoteOutcome> {
    const { request, token, receipt, now, day } = vote;
    const { survey } = request.published;
    const claim = await this.deps.codes.claim(survey._id, code, day);
    if (claim.ok) return this.store(vote, claim.codeHash);
    if (claim.problem === 'used') {
      // A used code may have been used by this very form: a retry, which gets its receipt again. Where this
      // process stored that vote it knows the receipt; otherwise one keyed read tells.
      const retry = claim.receipt !== undefined ? claim.receipt === receipt : await this.isStored(survey, token.submissionId);
      if (retry) return { kind: 'accepted', receipt, replay: true };
      this.count(survey, 'duplicate');
    } else {
      this.countRefused(survey, request, now, 'codeRefused');
    }
    return { kind: 'code-refused', problem: claim.problem, form, token };
  }

  private async store(vote: PendingVote, claimedCode?: string): Promise<VoteOutcome> {
    const { request, submission, token, receipt, clientHash, now, day } = vote;
    const { bureau, survey } = request.published;
    if (survey.settings.responseCap !== undefined && (await this.responseCount(survey)) >= survey.settings.responseCap) {
      if (claimedCode) await this.deps.codes.release(claimedCode);
      return { kind: 'closed' };
    }

    const district = survey.questions.find((q) => q.type === 'district');
    const districtAnswer = district ? submission.answers[district.id] : undefined;
    const response: SurveyResponse = {
      _id: responseIdFor(this.options.secret, survey._id, token.submissionId),
      survey: survey._id,
      bureau: bureau._id,
      submissionId: token.submissionId,
      receipt,
      answers: submission.answers,
      otherText: submission.otherText,
      submittedAt: new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS),
      day,
      district: typeof districtAnswer === 'string' && districtAnswer !== OTHER_OPTION_ID ? districtAnswer : null,
      channel: request.channel ?? 'web',
      locale: request.locale,
      clientHash: survey.settings.anonymity === 'confidential' ? clientHash : null,
    };

    let outcome: StoreOutcome | undefined;
    try {
      outcome = await this.deps.responses.store(survey, response);
    } finally {
      // A code claimed for a vote that was not stored (refused, or the form was stored before) is given back.
      if (claimedCode && outcome === 'stored') this.deps.codes.remember(claimedCode, receipt);
      else if (claimedCode) await this.deps.codes.release(claimedCode).catch(() => {});
    }
    if (outcome === 'duplicate') {
      this.count(survey, 'duplicate');
      return { kind: 'accepted', receipt, replay: true };
    }
    const texts = survey.questions.filter((q) => q.type === 'text').map((q) => submission.answers[q.id]).filter((a): a is string => typeof a === 'string');
    this.deps.watch.record(String(survey._id), clientHash, texts, now.getTime());
    return { kind: 'accepted', receipt, replay: false };
  }

  /** One `_id` read (a query on submissionId would read every response on FerretDB, for every replay). */
  private async isStored(survey: Pick<Survey, '_id'>, submissionId: string): Promise<boolean> {
    for (let generation = 0; generation < MAX_ID_GENERATIONS; generation += 1) {
      const holder = await this.models.Response.findById(responseIdFor(this.options.secret, survey._id, submissionId, generation), { survey: 1 }).lean();
      if (!holder) return false;
      // A tombstone: that post was never stored, a later one of the same form may have been.
      if (!isTombstone(holder)) return true;
    }
    return false;
  }

  /** Counted votes plus those stored but still on their way into the tally. */
  private async responseCount(survey: Pick<Survey, '_id'>): Promise<number> {
    const tally = await this.deps.tallies.get(survey._id);
    return tally.total + this.deps.tallyWriter.queuedVotes(survey._id);
  }

  /** Counts the post against the address group's budget in scope; a post over budget is refused with 429. */
  private hitRateLimit(survey: Pick<Survey, '_id'>, scope: string, clientHash: string, now: Date, site: string | undefined): void {
    try {
      this.deps.rateLimiter.hit(scope, clientHash, now.getTime(), site);
    } catch (error) {
      this.count(survey, 'rateLimited');
      throw error;
    }
  }

  /**
   * Refused posts are free to send: one per address group and window is counted (see RefusalCounter), in
   * `refused` and, apart, in the reason's counter.
   */
  private countRefused(survey: Pick<Survey, '_id'>, request: VoteRequest, now: Date, reason: RefusalReason): void {
    const client = hashClientAddress(request.clientAddress, this.options.secret);
    if (this.deps.refusals.shouldCount(String(survey._id), client, now.getTime())) this.count(survey, 'refused');
    if (this.deps.refusals.shouldCount(String(survey._id), `${client}:${reason}`, now.getTime())) this.count(survey, reason);
  }

  /** Integrity counters are best-effort: a failure to count must not fail the resident's request. */
  private count(survey: Pick<Survey, '_id'>, event: Exclude<keyof IntegrityCounters, 'accepted'>): void {
    this.deps.tallyWriter.countEvent(survey._id, event);
  }
}
