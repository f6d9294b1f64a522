/** Binds the schemas to one connection, so tests and the server each get their own models. */
import type { Connection, Model } from 'mongoose';
import { adviceItemSchema, satisfactionVoteSchema, type AdviceItem, type SatisfactionVote } from './advice.model.js';
import { apiTokenSchema, type ApiToken } from './api-token.model.js';
import { accountabilityActionSchema, concernOverlaySchema, microblogPostSchema, type AccountabilityAction, type ConcernOverlay, type MicroblogPost } from './concern.model.js';
import { auditEntrySchema, type AuditEntry } from './audit-entry.model.js';
import { bureauSchema, type Bureau } from './bureau.model.js';
import { invitationCodeSchema, invitationCodeUseSchema, type InvitationCode, type InvitationCodeUse } from './invitation-code.model.js';
import { rateLimitSchema, type RateLimitEntry } from './rate-limit.model.js';
import { satisfactionCodeSchema, type SatisfactionCode } from './satisfaction-code.model.js';
import { responseSchema, type SurveyResponse } from './response.model.js';
import { surveySchema, type Survey } from './survey.model.js';
import { tallyPendingSchema, type TallyPending } from './tally-pending.model.js';
import { tallyDeltaSchema, type TallyDelta } from './tally-delta.model.js';
import { SLICE_SNAPSHOTS, TALLY_SNAPSHOTS, tallyHeadSchema, tallySnapshotSchema, type TallyHead, type TallySnapshot } from './tally-snapshot.model.js';
import { legacyTallySchema, type LegacyTally } from './tally.model.js';
import { userSchema, type User } from './user.model.js';

export interface Models {
  Bureau: Model<Bureau>;
  Survey: Model<Survey>;
  Response: Model<SurveyResponse>;
  TallyPending: Model<TallyPending>;
  TallyDelta: Model<TallyDelta>;
  TallySnapshot: Model<TallySnapshot>;
  SliceSnapshot: Model<TallySnapshot>;
  TallyHead: Model<TallyHead>;
  LegacyTally: Model<LegacyTally>;
  RateLimit: Model<RateLimitEntry>;
  InvitationCode: Model<InvitationCode>;
  InvitationCodeUse: Model<InvitationCodeUse>;
  User: Model<User>;
  AuditEntry: Model<AuditEntry>;
  ApiToken: Model<ApiToken>;
  AdviceItem: Model<AdviceItem>;
  SatisfactionVote: Model<SatisfactionVote>;
  SatisfactionCode: Model<SatisfactionCode>;
  MicroblogPost: Model<MicroblogPost>;
  ConcernOverlay: Model<ConcernOverlay>;
  AccountabilityAction: Model<AccountabilityAction>;
}

export function createModels(connection: Connection): Models {
  return {
    Bureau: connection.model<Bureau>('Bureau', bureauSchema),
    Survey: connection.model<Survey>('Survey', surveySchema),
    Response: connection.model<SurveyResponse>('Response', responseSchema),
    TallyPending: connection.model<TallyPending>('TallyPending', tallyPendingSchema),
    TallyDelta: connection.model<TallyDelta>('TallyDelta', tallyDeltaSchema),
    TallySnapshot: connection.model<TallySnapshot>('TallySnapshot', tallySnapshotSchema, TALLY_SNAPSHOTS),
    SliceSnapshot: connection.model<TallySnapshot>('SliceSnapshot', tallySnapshotSchema, SLICE_SNAPSHOTS),
    TallyHead: connection.model<TallyHead>('TallyHead', tallyHeadSchema),
    LegacyTally: connection.model<LegacyTally>('LegacyTally', legacyTallySchema),
    RateLimit: connection.model<RateLimitEntry>('RateLimit', rateLimitSchema),
    InvitationCode: connection.model<InvitationCode>('InvitationCode', invitationCodeSchema),
    InvitationCodeUse: connection.model<InvitationCodeUse>('InvitationCodeUse', invitationCodeUseSchema),
    User: connection.model<User>('User', userSchema),
    AuditEntry: connection.model<AuditEntry>('AuditEntry', auditEntrySchema),
    ApiToken: connection.model<ApiToken>('ApiToken', apiTokenSchema),
    AdviceItem: connection.model<AdviceItem>('AdviceItem', adviceItemSchema),
    SatisfactionVote: connection.model<SatisfactionVote>('SatisfactionVote', satisfactionVoteSchema),
    SatisfactionCode: connection.model<SatisfactionCode>('SatisfactionCode', satisfactionCodeSchema),
    MicroblogPost: connection.model<MicroblogPost>('MicroblogPost', microblogPostSchema),
    ConcernOverlay: connection.model<ConcernOverlay>('ConcernOverlay', concernOverlaySchema),
    AccountabilityAction: connection.model<AccountabilityAction>('AccountabilityAction', accountabilityActionSchema),
  };
}

/**
 * Creates every collection and index the queries rely on; run once at start-up. Where the server never uses
 * secondary indexes to answer queries (FerretDB 1.24), only the unique ones are made: they enforce rules,
 * while the others would only slow every insert.
 */
export async function ensureIndexes(models: Models, options: { secondaryIndexes: boolean }): Promise<void> {
  for (const model of Object.values(models) as Model<unknown>[]) {
    await model.createCollection().catch((error: { code?: number }) => {
      if (error.code !== 48) throw error; // 48: NamespaceExists
    });
    if (options.secondaryIndexes) {
      await model.createIndexes();
      continue;
    }
    for (const [fields, indexOptions] of model.schema.indexes()) {
      if (indexOptions.unique) await model.collection.createIndex(fields as Record<string, 1 | -1>, { unique: true });
    }
  }
}

export type { AdviceItem, SatisfactionVote, SatisfactionCode, ApiToken, TallyPending, AuditEntry, User, Bureau, InvitationCode, InvitationCodeUse, RateLimitEntry, Survey, SurveyResponse, TallyDelta, TallySnapshot, TallyHead, LegacyTally };
export type { AccountabilityAction, ConcernOverlay, MicroblogPost };
