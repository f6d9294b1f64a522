import { Schema, type Types } from 'mongoose';

/** Who did what to which object, when. Written once, never updated: the app has no route that edits it. */
export interface AuditEntry {
  _id: Types.ObjectId;
  at: Date;
  /** The staff member, or null for a failed login by an unknown account. */
  actor: Types.ObjectId | null;
  actorEmail: string;
  action: string;
  bureau: Types.ObjectId | null;
  /** What it was done to: kind and id, e.g. { kind: 'survey', id, label }. */
  target: { kind: string; id: string | null; label: string } | null;
  details: Record<string, unknown>;
}

export const auditEntrySchema = new Schema<AuditEntry>(
  {
    at: { type: Date, required: true },
    actor: { type: Schema.Types.ObjectId, default: null },
    actorEmail: { type: String, required: true },
    action: { type: String, required: true },
    bureau: { type: Schema.Types.ObjectId, default: null },
    target: { type: Schema.Types.Mixed, default: null },
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, strict: 'throw', minimize: false },
);
auditEntrySchema.index({ bureau: 1, at: -1 });
auditEntrySchema.index({ at: -1 });
