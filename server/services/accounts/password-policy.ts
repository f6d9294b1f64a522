/** Refuses passwords that are short or common. The list of common passwords comes from @zxcvbn-ts/language-common. */
import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_email';

export class PasswordPolicy {
  private readonly common: Set<string>;

  constructor() {
    this.common = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  }

  check(password: string, context: { email?: string } = {}): PasswordProblem | null {
    const length = [...password].length;
    if (length < MIN_PASSWORD_LENGTH) return 'too_short';
    if (length > MAX_PASSWORD_LENGTH) return 'too_long';
    const lower = password.toLowerCase();
    // "password1234" is as common as "password": strip trailing digits and symbols before looking it up.
    if (this.common.has(lower) || this.common.has(lower.replace(/[\d\W_]+$/, ''))) return 'common';
    const local = context.email?.split('@')[0]?.toLowerCase();
    if (local && local.length >= 4 && lower.includes(local)) return 'contains_email';
    return null;
  }
}

export const PASSWORD_PROBLEM_MESSAGES: Record<PasswordProblem, string> = {
  too_short: `Use at least ${MIN_PASSWORD_LENGTH} characters.`,
  too_long: `Use at most ${MAX_PASSWORD_LENGTH} characters.`,
  common: 'That password is one of the most common ones; choose another.',
  contains_email: 'The password must not contain your email address.',
};
