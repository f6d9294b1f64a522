/**
 * Tracking codes of advice cases and one-time satisfaction codes: 16 Crockford base-32 characters in four
 * groups (80 bits), like invitation codes, typed in any case with or without dashes. Only keyed hashes are
 * stored, so a database dump reveals no code and a code cannot be guessed without the server's secret.
 */
import { createHmac, randomInt } from 'node:crypto';
import { CODE_LENGTH, formatCode, normalizeCode } from '../voting/invitation-codes.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function randomCode(): string {
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) raw += ALPHABET[randomInt(ALPHABET.length)];
  return formatCode(raw);
}

/**
 * The code of one submitted form, derived from its random submission id with the secret: a retried post of
 * the same form shows the same code again, although only its hash was stored.
 */
export function codeForSubmission(secret: string, submissionId: string): string {
  const digest = createHmac('sha256', secret).update(`advice-code:${submissionId}`).digest();
  let raw = '';
  // 16 characters of 5 bits each from the first 10 bytes.
  let bits = 0;
  let value = 0;
  for (const byte of digest.subarray(0, 10)) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      raw += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return formatCode(raw);
}

/** A code as typed, when it can be one (right length and alphabet); undefined otherwise. */
export function readCode(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const normalized = normalizeCode(value);
  return normalized.length === CODE_LENGTH && /^[0-9A-HJKMNP-TV-Z]+$/.test(normalized) ? normalized : undefined;
}

export function hashCode(secret: string, purpose: 'tracking' | 'satisfaction', code: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${normalizeCode(code)}`).digest('base64url');
}

export { formatCode };
