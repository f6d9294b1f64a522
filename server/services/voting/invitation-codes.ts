/**
 * One-time invitation codes: 16 Crockford base-32 characters in four groups ("K7M2-Q9XD-3FRA-W8NC", 80 bits,
 * typed in any case, with or without separators), stored only as a keyed hash, used at most once (a unique
 * key on their use), optionally expiring, never linked to a response. Codes of the earlier 8-character kind
 * keep working where they were issued.
 *
 * A use is first a "live" document keyed by the code's hash: the insert is what makes a code work once.
 * Live uses are inserted in the order residents vote, as responses are, so a database dump could line them
 * up; compactUses() therefore turns each earlier hour's live uses into "spent" documents inserted in random
 * order, and deletes the live ones. A dump then tells no more than which hour a code was used in.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Types } from 'mongoose';
import type { InvitationCodeUse, Models } from '../../models/index.js';
import { isDuplicateKey, perDocumentErrors } from '../../db/keyed-writes.js';
import { UsedCodeMemory } from './used-code-memory.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 16;
/** Codes issued before 80-bit codes: still accepted, looked up like any other. */
const LEGACY_CODE_LENGTH = 8;
const HOUR_MS = 3600_000;
const SPENT_PREFIX = 'spent:';

/** A used code comes with the receipt of the vote that used it, where this process stored that vote. */
export type CodeClaim = { ok: true; codeHash: string } | { ok: false; problem: 'invalid' | 'expired' } | { ok: false; problem: 'used'; receipt?: string };

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
  return raw.match(/.{1,4}/g)!.join('-');
}

export class InvitationCodes {
  /**
   * Hours (as their start in ms) in which this process wrote live uses not yet compacted, and whether the
   * first run since start-up (which also finds uses left by other processes or a crash) is still to come:
   * on FerretDB a compaction reads every use, so it runs only when there is something to compact.
   */
  private readonly liveHours = new Set<number>();
  private compactedSinceStart = false;
  private readonly usedCodes = new UsedCodeMemory();

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

  /**
   * Uses a code for the survey, once. A code this process knows to be used is refused from memory; unknown,
   * revoked, expired and spent codes after one `_id` read; the insert of the live use is the atomic step. A
   * use compacted between that read and the insert shows up in the read after it (compaction writes the
   * spent use before deleting the live one).
   */
  async claim(surveyId: Types.ObjectId, code: string, day: string, now = new Date()): Promise<CodeClaim> {
    const length = normalizeCode(code).length;
    if ((length !== CODE_LENGTH && length !== LEGACY_CODE_LENGTH) || !/^[0-9A-Z]+$/.test(normalizeCode(code))) return { ok: false, problem: 'invalid' };
    const codeHash = this.hash(code);
    const known = this.usedCodes.known(codeHash, now.getTime());
    if (known) return known.receipt === undefined ? { ok: false, problem: 'used' } : { ok: false, problem: 'used', receipt: known.receipt };
    const claim = await this.claimInDatabase(surveyId, codeHash, day, now);
    if (!claim.ok && claim.problem === 'used') this.usedCodes.rememberSeen(codeHash, now.getTime());
    return claim;
  }

  /** The vote this process claimed the code for is stored: later posts with the code are refused from memory. */
  remember(codeHash: string, receipt: string): void {
    this.usedCodes.rememberStored(codeHash, receipt);
  }

  private async claimInDatabase(surveyId: Types.ObjectId, codeHash: string, day: string, now: Date): Promise<CodeClaim> {
    const stored = await this.models.InvitationCode.findById(codeHash).lean();
    if (!stored || String(stored.survey) !== String(surveyId) || stored.revoked) return { ok: false, problem: 'invalid' };
    if (stored.expiresAt && stored.expiresAt <= now) return { ok: false, problem: 'expired' };
    if (await this.isSpent(codeHash)) return { ok: false, problem: 'used' };
    try {
      const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
      await this.models.InvitationCodeUse.create({ _id: codeHash, survey: surveyId, batch: stored.batch, day, hour: new Date(hour) });
      this.liveHours.add(hour);
    } catch (error) {
      if (isDuplicateKey(error)) return { ok: false, problem: 'used' };
      throw error;
    }
    if (await this.isSpent(codeHash)) {
      await this.models.InvitationCodeUse.deleteOne({ _id: codeHash });
      return { ok: false, problem: 'used' };
    }
    return { ok: true, codeHash };
  }

  private async isSpent(codeHash: string): Promise<boolean> {
    return (await this.models.InvitationCodeUse.exists({ _id: `${SPENT_PREFIX}${codeHash}` })) !== null;
  }

  /**
   * Turns the live uses of hours before now's into spent ones, inserted in random order, so the order of
   * uses in the database no longer follows the order of votes. Run periodically (maintenance).
   */
  async compactUses(now = new Date()): Promise<number> {
    const hourStart = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
    const finished = [...this.liveHours].filter((hour) => hour < hourStart.getTime());
    if (this.compactedSinceStart && finished.length === 0) return 0;
    const limit = 10_000;
    const live = await this.models.InvitationCodeUse.find({ spent: { $ne: true }, $or: [{ hour: { $lt: hourStart } }, { hour: { $exists: false } }] }).limit(limit).lean<InvitationCodeUse[]>();
    const done = () => {
      this.compactedSinceStart = true;
      // More than one run's worth: the next run goes on.
      if (live.length < limit) for (const hour of finished) this.liveHours.delete(hour);
    };
    if (live.length === 0) {
      done();
      return 0;
    }
    const spent = shuffle(live.map((use) => ({ _id: `${SPENT_PREFIX}${use._id}`, survey: use.survey, batch: use.batch, day: use.day, spent: true })));
    try {
      await this.models.InvitationCodeUse.collection.insertMany(spent as never[], { ordered: false });
    } catch (error) {
      // A spent use already written by an earlier run that stopped before its deletes. An insert that failed
      // as a whole (no per-document errors) must stop here: the live uses are deleted only once spent ones exist.
      const perDocument = perDocumentErrors(error);
      if (!perDocument || [...perDocument.values()].some((e) => !isDuplicateKey(e))) throw error;
    }
    const ids = live.map((use) => use._id);
    // A use given back meanwhile (its vote could not be stored) must not stay spent.
    const stillLive = new Set((await this.models.InvitationCodeUse.find({ _id: { $in: ids } }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((use) => use._id));
    const released = ids.filter((id) => !stillLive.has(id));
    if (released.length > 0) await this.models.InvitationCodeUse.deleteMany({ _id: { $in: released.map((id) => `${SPENT_PREFIX}${id}`) } });
    await this.models.InvitationCodeUse.deleteMany({ _id: { $in: [...stillLive] } });
    done();
    return stillLive.size;
  }

  /** Per batch: how many codes, how many used, whether revoked, when they expire (FerretDB-safe $group/$sum only). */
  async batches(surveyId: Types.ObjectId): Promise<CodeBatchSummary[]> {
    const [issued, used] = await Promise.all([
      this.models.InvitationCode.aggregate<{ _id: { batch: string; revoked: boolean; expiresAt: Date | null }; count: number }>([
        { $match: { survey: surveyId } },
        { $group: { _id: { batch: '$batch', revoked: '$revoked', expiresAt: '$expiresAt' }, count: { $sum: 1 } } },
      ]),
      this.models.InvitationCodeUse.find({ survey: surveyId }, { _id: 1, batch: 1 }).lean<Array<{ _id: string; batch: string }>>(),
    ]);
    // A code is counted once while compaction has written its spent use but not yet deleted its live one.
    const ids = new Set(used.map((u) => u._id));
    const usedByBatch = new Map<string, number>();
    for (const use of used) {
      if (!use._id.startsWith(SPENT_PREFIX) && ids.has(`${SPENT_PREFIX}${use._id}`)) continue;
      usedByBatch.set(use.batch, (usedByBatch.get(use.batch) ?? 0) + 1);
    }
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

  /** Gives a code back when the vote it was claimed for could not be stored (compacted meanwhile or not). */
  async release(codeHash: string): Promise<void> {
    this.usedCodes.forget(codeHash);
    await this.models.InvitationCodeUse.deleteOne({ _id: codeHash });
    await this.models.InvitationCodeUse.deleteOne({ _id: `${SPENT_PREFIX}${codeHash}` });
  }
}

/** Fisher–Yates with the crypto generator: the order must not be guessable. */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
