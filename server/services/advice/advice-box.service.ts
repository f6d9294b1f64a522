/**
 * The resident's side of advice cases: the advice box post, the tracking page and the satisfaction rating
 * (after a reply, or with a one-time code for cases handled outside Minyi). Every "once" is a keyed insert:
 * a case per form (its id comes from the form's submission id, so a retried post finds the case it made),
 * a rating per case (`advice:<id>`) or per code (`code:<hash>`).
 */
import { createHmac } from 'node:crypto';
import type { Types } from 'mongoose';
import { isDuplicateKey } from '../../db/keyed-writes.js';
import { BadRequestError } from '../../errors/index.js';
import type { Locale } from '../../i18n/i18n.js';
import { SATISFACTION_RATINGS, type AdviceItem, type AdviceStatus, type SatisfactionRating } from '../../models/advice.model.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import { hashClientAddress, hashClientSite } from '../voting/client-address.js';
import type { FormTokenPayload, FormTokens } from '../voting/form-token.js';
import { FormExpiredError } from '../voting/vote.service.js';
import { normalizeCode } from '../voting/invitation-codes.js';
import type { VoteRateLimiter } from '../voting/vote-rate-limiter.js';
import { adviceProblems, cleanText, codePoints, COMMENT_MAX, parseAdviceForm, readFields, type AdviceFormValues, type AdviceProblem } from './advice-form.js';
import { codeForSubmission, hashCode, readCode } from './tracking-codes.js';
import { calendarMonth, replyDueAt } from './working-days.js';

const HOUR_MS = 3600_000;

export type AdviceOutcome =
  | { kind: 'accepted'; code: string; replay: boolean }
  | { kind: 'invalid'; problems: AdviceProblem[]; values: AdviceFormValues; token: FormTokenPayload }
  | { kind: 'too-fast'; values: AdviceFormValues; token: FormTokenPayload };

export interface TrackedCase {
  id: string;
  bureau: Types.ObjectId;
  category: string;
  district: string | null;
  text: string;
  status: AdviceStatus;
  receivedAt: Date;
  dueAt: Date;
  reply: string | null;
  repliedAt: Date | null;
  /** A reply was given and the case was not rated yet. */
  mayRate: boolean;
  rated: boolean;
}

export interface PublicAdvice {
  category: string;
  district: string | null;
  text: string;
  reply: string | null;
  receivedAt: Date;
}

export type RatingOutcome = { kind: 'rated' } | { kind: 'already-rated' } | { kind: 'not-yet' } | { kind: 'invalid'; problem: 'rating' | 'comment' };

/** The scope of the advice box's form tokens, apart from every survey's. */
export const adviceFormScope = (bureau: Pick<Bureau, '_id'>) => `advice:${String(bureau._id)}`;

export class AdviceBox {
  constructor(
    private readonly models: Models,
    private readonly deps: { tokens: FormTokens; rateLimiter: VoteRateLimiter },
    private readonly options: { secret: string; minFillSeconds: number },
  ) {}

  /**
   * A case id: a keyed hash of its tracking code (itself made from the form's random submission id), so it
   * tells nothing of when or from where, cannot be turned back into the code, and /track/<code> is one `_id`
   * read (FerretDB reads a whole collection for a query on any other field).
   */
  caseIdFor(code: string): string {
    return createHmac('sha256', this.options.secret).update(`advice-id:${normalizeCode(code)}`).digest('hex').slice(0, 20);
  }

  async submit(request: { bureau: Bureau; body: unknown; csrfCookie: string | undefined; clientAddress: string | undefined; locale: Locale; now?: Date }): Promise<AdviceOutcome> {
    const { bureau } = request;
    const now = request.now ?? new Date();
    const form = parseAdviceForm(request.body);
    const token = this.deps.tokens.verify(form.token, adviceFormScope(bureau), request.csrfCookie, now.getTime());
    if (typeof token === 'string') {
      if (token === 'malformed' || token === 'forged') throw new BadRequestError('The form is missing its security field or it was altered. Please reload the page.');
      throw new FormExpiredError();
    }
    if (form.honeypot.trim() !== '') throw new BadRequestError('This form could not be accepted.');
    const code = codeForSubmission(this.options.secret, token.submissionId);
    const id = this.caseIdFor(code);
    // No read before the insert: on FerretDB 1.24 looking up an _id that does not exist reads the whole
    // collection, and a new case's id never exists. A retry of a stored form passes the same checks again
    // (time only grows, the fields are the same) and meets its case at the insert.
    if (now.getTime() - token.issuedAt < this.options.minFillSeconds * 1000) return { kind: 'too-fast', values: form.values, token };
    const problems = adviceProblems(form.values, bureau);
    if (problems.length > 0) return { kind: 'invalid', problems, values: form.values, token };

    try {
      this.deps.rateLimiter.hit(adviceFormScope(bureau), hashClientAddress(request.clientAddress, this.options.secret), now.getTime(), hashClientSite(request.clientAddress, this.options.secret));
    } catch (error) {
      // Over the limit, a retry of a form already stored still gets its code (one read, only here).
      if (await this.models.AdviceItem.exists({ _id: id })) return { kind: 'accepted', code, replay: true };
      throw error;
    }
    const { values } = form;
    const item: AdviceItem = {
      _id: id,
      bureau: bureau._id,
      trackingHash: hashCode(this.options.secret, 'tracking', code),
      category: values.category,
      district: values.district || null,
      text: values.text,
      locale: request.locale,
      // Kept only with the resident's explicit consent.
      contact: values.contactConsent && values.contact ? values.contact : null,
      publishConsent: values.publish === 'yes',
      publicApproved: false,
      status: 'received',
      assignee: null,
      // The hour, as for votes: the exact second would line a case up with whatever else saw the request.
      receivedAt: new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS),
      dueAt: replyDueAt(now, bureau.replyWorkingDays, bureau.timezone),
      reply: null,
      repliedAt: null,
      closedAt: null,
      notes: [],
    };
    try {
      // The driver's insert: the document is built here with the schema's types, mongoose would only copy it.
      await this.models.AdviceItem.collection.insertOne(item as never);
    } catch (error) {
      if (isDuplicateKey(error)) return { kind: 'accepted', code, replay: true };
      throw error;
    }
    return { kind: 'accepted', code, replay: false };
  }

  /** The case a tracking code names, or null (an unknown code and a malformed one look the same). */
  async track(rawCode: string, clientAddress?: string): Promise<TrackedCase | null> {
    const code = readCode(rawCode);
    const found = code ? await this.models.AdviceItem.findById(this.caseIdFor(code)).lean<AdviceItem>() : null;
    const item = found && code && found.trackingHash === hashCode(this.options.secret, 'tracking', code) ? found : null;
    if (!item) {
      this.countMiss(clientAddress);
      return null;
    }
    // Only a case with a reply can have been rated: the others need no read (a miss reads every vote on FerretDB).
    const rated = item.reply !== null && (await this.models.SatisfactionVote.exists({ _id: `advice:${item._id}` })) !== null;
    const replied = item.reply !== null && (item.status === 'replied' || item.status === 'closed');
    return {
      id: item._id,
      bureau: item.bureau,
      category: item.category,
      district: item.district,
      text: item.text,
      status: item.status,
      receivedAt: item.receivedAt,
      dueAt: item.dueAt,
      reply: replied ? item.reply : null,
      repliedAt: replied ? item.repliedAt : null,
      mayRate: replied && !rated,
      rated,
    };
  }

  /** The resident's rating of the reply to their case: once per case, only after a reply. */
  async rateCase(rawCode: string, body: unknown, bureau: Pick<Bureau, '_id' | 'timezone'>, now = new Date()): Promise<RatingOutcome> {
    const tracked = await this.track(rawCode);
    if (!tracked) return { kind: 'not-yet' };
    if (tracked.rated) return { kind: 'already-rated' };
    if (tracked.reply === null) return { kind: 'not-yet' };
    return this.insertRating(`advice:${tracked.id}`, { bureau: bureau._id, source: 'advice', batch: null }, body, bureau.timezone, now);
  }

  /** The batch a one-time satisfaction code belongs to, whether it was used, or null for an unknown code. */
  async satisfactionCode(rawCode: string, clientAddress?: string): Promise<{ hash: string; bureau: Types.ObjectId; batch: string; used: boolean } | null> {
    const code = readCode(rawCode);
    const stored = code ? await this.models.SatisfactionCode.findById(hashCode(this.options.secret, 'satisfaction', code)).lean() : null;
    if (!stored) {
      this.countMiss(clientAddress);
      return null;
    }
    const used = (await this.models.SatisfactionVote.exists({ _id: `code:${stored._id}` })) !== null;
    return { hash: stored._id, bureau: stored.bureau, batch: stored.batch, used };
  }

  async rateWithCode(rawCode: string, body: unknown, bureau: Pick<Bureau, '_id' | 'timezone'>, now = new Date()): Promise<RatingOutcome> {
    const found = await this.satisfactionCode(rawCode);
    if (!found || String(found.bureau) !== String(bureau._id)) return { kind: 'not-yet' };
    if (found.used) return { kind: 'already-rated' };
    return this.insertRating(`code:${found.hash}`, { bureau: bureau._id, source: 'code', batch: found.batch }, body, bureau.timezone, now);
  }

  /** Approved texts of residents who allowed publication, newest first, with the bureau's reply once given. */
  async published(bureau: Pick<Bureau, '_id'>, limit = 10): Promise<PublicAdvice[]> {
    const items = await this.models.AdviceItem.find({ bureau: bureau._id, publicApproved: true, publishConsent: true }).sort({ receivedAt: -1, _id: 1 }).limit(limit).lean<AdviceItem[]>();
    return items.map((item) => ({
      category: item.category,
      district: item.district,
      text: item.text,
      reply: item.status === 'replied' || item.status === 'closed' ? item.reply : null,
      receivedAt: item.receivedAt,
    }));
  }

  private async insertRating(id: string, fields: { bureau: Types.ObjectId; source: 'advice' | 'code'; batch: string | null }, body: unknown, timeZone: string, now: Date): Promise<RatingOutcome> {
    const form = readFields(body, ['rating', 'comment']);
    const rating = form.rating as SatisfactionRating | undefined;
    if (!rating || !(SATISFACTION_RATINGS as readonly string[]).includes(rating)) return { kind: 'invalid', problem: 'rating' };
    const comment = cleanText(form.comment ?? '');
    if (codePoints(comment) > COMMENT_MAX) return { kind: 'invalid', problem: 'comment' };
    try {
      await this.models.SatisfactionVote.create({ _id: id, ...fields, rating, comment: comment || null, month: calendarMonth(now, timeZone) });
    } catch (error) {
      if (isDuplicateKey(error)) return { kind: 'already-rated' };
      throw error;
    }
    return { kind: 'rated' };
  }

  /** Codes are 80 bits: guessing is hopeless, but a flood of guesses from one address is refused all the same. */
  private countMiss(clientAddress: string | undefined): void {
    if (clientAddress === undefined) return;
    this.deps.rateLimiter.hit('code-misses', hashClientAddress(clientAddress, this.options.secret), Date.now(), hashClientSite(clientAddress, this.options.secret));
  }
}
