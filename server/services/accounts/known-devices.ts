/**
 * "Known device" cookies (OWASP's device cookies against account lockout): a browser where an account signed
 * in successfully gets a signed cookie naming that account. Its sign-ins are then limited per device rather
 * than by the account's shared budget, so whoever floods an account with wrong passwords cannot lock its owner
 * out. The cookie holds a random device id and keyed tags of up to MAX_ACCOUNTS emails, never the emails.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const MAX_ACCOUNTS = 5;
const VERSION = 'v1';

export class KnownDevices {
  constructor(private readonly secret: string) {}

  /** The device key for email when cookie is a valid device cookie that names it; null otherwise. */
  verify(cookie: unknown, email: string): string | null {
    const parsed = this.parse(cookie);
    if (!parsed) return null;
    const tag = this.tag(email);
    return parsed.tags.includes(tag) ? `${parsed.device}:${tag}` : null;
  }

  /** The cookie to set after email signed in: the browser's existing cookie plus this account. */
  issue(cookie: unknown, email: string): string {
    const parsed = this.parse(cookie) ?? { device: randomBytes(16).toString('hex'), tags: [] };
    const tags = [this.tag(email), ...parsed.tags.filter((t) => t !== this.tag(email))].slice(0, MAX_ACCOUNTS);
    const body = `${VERSION}.${parsed.device}.${tags.join('_')}`;
    return `${body}.${this.mac(body)}`;
  }

  private parse(cookie: unknown): { device: string; tags: string[] } | null {
    if (typeof cookie !== 'string' || cookie.length > 200) return null;
    const match = /^(v1\.([0-9a-f]{32})\.([0-9a-f]{16}(?:_[0-9a-f]{16}){0,4}))\.([\w-]{43})$/.exec(cookie);
    if (!match) return null;
    const expected = Buffer.from(this.mac(match[1]!));
    const given = Buffer.from(match[4]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    return { device: match[2]!, tags: match[3]!.split('_') };
  }

  private tag(email: string): string {
    return createHmac('sha256', this.secret).update(`device-account:${email.trim().toLowerCase()}`).digest('hex').slice(0, 16);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(`device-cookie:${body}`).digest('base64url');
  }
}
