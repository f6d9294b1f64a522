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

  /** Newest first; one bureau's entries, or all of them (administrators). */
  async list(options: { bureau?: Types.ObjectId; page: number }): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
    const filter = options.bureau ? { bureau: options.bureau } : {};
    const entries = await this.models.AuditEntry.find(filter)
      .sort({ at: -1, _id: -1 })
      .skip((options.page - 1) * AUDIT_PAGE_SIZE)
      .limit(AUDIT_PAGE_SIZE + 1)
      .lean<AuditEntry[]>();
    return { entries: entries.slice(0, AUDIT_PAGE_SIZE), hasMore: entries.length > AUDIT_PAGE_SIZE };
  }
}
