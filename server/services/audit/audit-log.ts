/** The audit trail of staff actions. Append-only: entries are inserted, listed, never changed by the app. */
import type { Types } from 'mongoose';
import type { Logger } from '../../logging/logger.js';
import type { AuditEntry } from '../../models/audit-entry.model.js';
import type { Models } from '../../models/index.js';
import type { Principal } from '../accounts/access.js';

export interface AuditEvent {
  actor: Principal | null;
  /** For failed logins: the email that was tried. */
  actorEmail?: string;
  action: string;
  bureau?: Types.ObjectId | null;
  target?: AuditEntry['target'];
  details?: Record<string, unknown>;
}

export const AUDIT_PAGE_SIZE = 50;

/** Every action the app records; the audit page offers them as a filter and words each one. */
export const AUDIT_ACTIONS = [
  'login', 'login.failed', 'login.throttled', 'logout',
  'survey.create', 'survey.edit', 'survey.delete', 'export',
  'codes.generate', 'codes.revoke', 'token.create', 'token.revoke',
  'role.grant', 'role.revoke', 'bureau.create',
  'advice.assign', 'advice.status', 'advice.reply', 'advice.note', 'advice.moderate', 'advice.settings', 'advice.export', 'advice.codes',
  'concerns.import', 'concern.rename', 'concern.merge', 'concern.unmerge', 'concern.pin', 'concern.unpin', 'concern.create', 'action.create', 'action.edit', 'action.delete',
] as const;

/**
 * Sign-ins belong to a person, not to a bureau (one account may serve several), so they are recorded without
 * one and shown to a bureau's manager when the email is one of that bureau's staff. Failed and throttled
 * attempts carry the email that was tried, which is how a manager sees someone guessing a colleague's password.
 */
export const SIGN_IN_ACTIONS = ['login', 'login.failed', 'login.throttled', 'logout'];

export interface AuditQuery {
  /** One bureau's entries, with the sign-ins of `staffEmails`; or, without it, all of them (administrators). */
  bureau?: Types.ObjectId;
  staffEmails?: string[];
  action?: string;
  person?: string;
  page: number;
}

export class AuditLog {
  constructor(
    private readonly models: Models,
    private readonly logger: Logger,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    const entry = {
      at: new Date(),
      actor: event.actor ? event.actor.id : null,
      actorEmail: event.actor?.email ?? event.actorEmail ?? 'unknown',
      action: event.action,
      bureau: event.bureau ?? null,
      target: event.target ?? null,
      details: event.details ?? {},
    };
    await this.models.AuditEntry.create(entry);
    this.logger.info({ audit: { ...entry, actor: entry.actor } }, `audit: ${event.action}`);
  }

  /** Newest first, filtered by action and by person (the email recorded), one page at a time. */
  async list(options: AuditQuery): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
    const parts: Record<string, unknown>[] = [];
    if (options.bureau) {
      parts.push({ $or: [{ bureau: options.bureau }, { action: { $in: SIGN_IN_ACTIONS }, actorEmail: { $in: options.staffEmails ?? [] } }] });
    }
    if (options.action) parts.push({ action: options.action });
    if (options.person) parts.push({ actorEmail: options.person });
    const filter = parts.length === 0 ? {} : parts.length === 1 ? parts[0]! : { $and: parts };
    const entries = await this.models.AuditEntry.find(filter)
      .sort({ at: -1, _id: -1 })
      .skip((options.page - 1) * AUDIT_PAGE_SIZE)
      .limit(AUDIT_PAGE_SIZE + 1)
      .lean<AuditEntry[]>();
    return { entries: entries.slice(0, AUDIT_PAGE_SIZE), hasMore: entries.length > AUDIT_PAGE_SIZE };
  }
}
