import { createHmac } from 'node:crypto';

/** Crockford's base-32 alphabet: no I, L, O or U, so a receipt read aloud or copied by hand stays right. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Receipts like "K7M2-Q9XD-3FRA" (60 bits) are derived from the survey and the form's submission id: a
 * retried post gets the same receipt without a database lookup, and nobody can make one without the secret.
 */
export class Receipts {
  constructor(private readonly secret: string) {}

  forSubmission(surveyId: string, submissionId: string): string {
    const digest = createHmac('sha256', this.secret).update(`receipt:${surveyId}:${submissionId}`).digest();
    let code = '';
    for (let i = 0; i < 12; i += 1) code += ALPHABET[digest[i]! & 31];
    return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
  }

  /** A short signature for the thank-you link, so that page needs no lookup and cannot be forged. */
  sign(surveyId: string, receipt: string): string {
    return createHmac('sha256', this.secret).update(`thanks:${surveyId}:${receipt}`).digest('base64url').slice(0, 16);
  }

  verify(surveyId: string, receipt: string, signature: unknown): boolean {
    return typeof signature === 'string' && signature === this.sign(surveyId, receipt);
  }
}

export const RECEIPT_PATTERN = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
