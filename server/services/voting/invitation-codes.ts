/**
 * One-time invitation codes: short enough to type from an SMS ("K7M2-Q9XD"), stored only as a keyed hash,
 * used at most once (a unique index on their use), optionally expiring, never linked to a response.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Types } from 'mongoose';
import type { Models } from '../../models/index.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 8;

export type CodeClaim = { ok: true; codeHash: string } | { ok: false; problem: 'invalid' | 'expired' | 'used' };

export interface CodeBatchSummary {
  batch: string;
  total: number;
  used: number;
  revoked: boolean;
  expiresAt: Date | null;
}

export interface CodeBatch {
  batch: string;
  codes: string[];
}

/** Upper-cases and drops separators; reads I and L as 1 and O as 0, as Crockford's base 32 does. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

export function formatCode(raw: string): string {
  return `${raw.slice(0, 4)}-${raw.slice(4)}`;
}

export class InvitationCodes {
  constructor(
    private readonly models: Models,
    private readonly secret: string,
  ) {}

  hash(code: string): string {
    return createHmac('sha256', this.secret).update(`invitation:${normalizeCode(code)}`).digest('base64url');
  }

  /** Creates count new codes; returns them in clear text this once. */
  async generate(surveyId: Types.ObjectId, count: number, options: { expiresAt?: Date | null; batch?: string } = {}): Promise<CodeBatch> {
    const batch = options.batch ?? `b${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    const codes = new Set<string>();
    while (codes.size < count) {
      let raw = '';
      for (let i = 0; i < CODE_LENGTH; i += 1) raw += ALPHABET[randomInt(ALPHABET.length)];
      codes.add(formatCode(raw));
    }
    const list = [...codes];
    for (let start = 0; start < list.length; start += 1000) {
      await this.models.InvitationCode.insertMany(
        list.slice(start, start + 1000).map((code) => ({ _id: this.hash(code), survey: surveyId, batch, expiresAt: options.expiresAt ?? null })),
        { ordered: false },
      );
    }
    return { batch, codes: list };
  }

  /** Uses a code for the survey, once. The insert into the uses collection is the atomic step. */
  async claim(surveyId: Types.ObjectId, code: string, day: string): Promise<CodeClaim> {
    if (normalizeCode(code).length !== CODE_LENGTH) return { ok: false, problem: 'invalid' };
    const codeHash = this.hash(code);
    const stored = await this.models.InvitationCode.findById(codeHash).lean();
    if (!stored || String(stored.survey) !== String(surveyId) || stored.revoked) return { ok: false, problem: 'invalid' };
    if (stored.expiresAt && stored.expiresAt <= new Date()) return { ok: false, problem: 'expired' };
    try {
      await this.models.InvitationCodeUse.create({ _id: codeHash, survey: surveyId, batch: stored.batch, day });
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return { ok: false, problem: 'used' };
      throw error;
    }
    return { ok: true, codeHash };
  }

  /** Per batch: how many codes, how many used, whether revoked, when they expire (FerretDB-safe $group/$sum only). */
  async batches(surveyId: Types.ObjectId): Promise<CodeBatchSummary[]> {
    const [issued, used] = await Promise.all([
      this.models.InvitationCode.aggregate<{ _id: { batch: string; revoked: boolean; expiresAt: Date | null }; count: number }>([
        { $match: { survey: surveyId } },
        { $group: { _id: { batch: '$batch', revoked: '$revoked', expiresAt: '$expiresAt' }, count: { $sum: 1 } } },
      ]),
      this.models.InvitationCodeUse.aggregate<{ _id: string; count: number }>([{ $match: { survey: surveyId } }, { $group: { _id: '$batch', count: { $sum: 1 } } }]),
    ]);
    const usedByBatch = new Map(used.map((u) => [u._id, u.count]));
    const byBatch = new Map<string, CodeBatchSummary>();
    for (const row of issued) {
      const summary = byBatch.get(row._id.batch) ?? { batch: row._id.batch, total: 0, used: usedByBatch.get(row._id.batch) ?? 0, revoked: false, expiresAt: row._id.expiresAt };
      summary.total += row.count;
      summary.revoked ||= row._id.revoked;
      byBatch.set(row._id.batch, summary);
    }
    return [...byBatch.values()].sort((a, b) => b.batch.localeCompare(a.batch));
  }

  async revoke(surveyId: Types.ObjectId, batch: string): Promise<number> {
    const result = await this.models.InvitationCode.updateMany({ survey: surveyId, batch: String(batch) }, { $set: { revoked: true } });
    return result.matchedCount;
  }

  /** Gives a code back when the vote it was claimed for could not be stored. */
  async release(codeHash: string): Promise<void> {
    await this.models.InvitationCodeUse.deleteOne({ _id: codeHash });
  }
}
