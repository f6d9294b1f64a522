/**
 * The signed hidden field of a survey form. It carries the form's submission id (which makes retried posts
 * idempotent), when the form was served (for the minimum fill time), and a digest of the browser's CSRF
 * cookie (stateless double-submit: a post from another site cannot read that cookie to match it).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CSRF_COOKIE = 'minyi_csrf';
const MAX_AGE_SECONDS = 24 * 3600;

export interface FormTokenPayload {
  surveyId: string;
  submissionId: string;
  issuedAt: number;
}

export type FormTokenProblem = 'malformed' | 'forged' | 'wrong_survey' | 'expired' | 'csrf';

export class FormTokens {
  constructor(private readonly secret: string) {}

  newCsrfCookie(): string {
    return randomBytes(16).toString('base64url');
  }

  newSubmissionId(): string {
    return randomBytes(16).toString('hex');
  }

  issue(surveyId: string, csrfCookie: string, submissionId = this.newSubmissionId(), now = Date.now()): string {
    const body = `${surveyId}.${submissionId}.${Math.floor(now / 1000)}.${this.csrfDigest(csrfCookie)}`;
    return `${body}.${this.sign(body)}`;
  }

  /** Checks a token from a post; returns its payload or what is wrong with it. */
  verify(token: unknown, surveyId: string, csrfCookie: string | undefined, now = Date.now()): FormTokenPayload | FormTokenProblem {
    if (typeof token !== 'string' || token.length > 200) return 'malformed';
    const parts = token.split('.');
    if (parts.length !== 5) return 'malformed';
    const [tokenSurvey, submissionId, issued, csrf, signature] = parts as [string, string, string, string, string];
    if (!/^[0-9a-f]{32}$/.test(submissionId) || !/^\d{1,12}$/.test(issued)) return 'malformed';
    const expected = Buffer.from(this.sign(parts.slice(0, 4).join('.')));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'forged';
    if (tokenSurvey !== surveyId) return 'wrong_survey';
    const issuedAt = Number(issued) * 1000;
    if (now - issuedAt > MAX_AGE_SECONDS * 1000) return 'expired';
    if (!csrfCookie || this.csrfDigest(csrfCookie) !== csrf) return 'csrf';
    return { surveyId, submissionId, issuedAt };
  }

  private csrfDigest(cookie: string): string {
    return createHmac('sha256', this.secret).update(`csrf:${cookie}`).digest('base64url').slice(0, 16);
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(`form:${body}`).digest('base64url').slice(0, 32);
  }
}
