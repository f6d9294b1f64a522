/**
 * The checks after a fault, on what the database holds: every acknowledged vote stored, none twice, nothing
 * stored that nobody could have been told, every stored vote counted, and the tallies and day slices equal to
 * a recount. The recount is Minyi's own (TallyVerifier, what `npm run tallies:verify` runs), called through its
 * public API only, so this keeps checking whatever way the counters are kept.
 */
import type { Types } from 'mongoose';
import type { Models } from '../../server/models/index.js';
import { TallyService } from '../../server/services/tallies/tally.service.js';
import { TallyVerifier } from '../../server/services/tallies/tally-verifier.js';
import type { CheckList } from './check-list.js';
import type { ResidentStats } from './residents.js';

/** A survey's stored responses and what its tally counts, as the verifier reads them. */
export interface Counts {
  stored: number;
  counted: number;
}

export interface Recount extends Counts {
  differences: Array<{ path: string; tally: number; recomputed: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const n = (value: number) => value.toLocaleString('en');

/** Minyi's recount of one survey: its responses, its tally total, and every counter that differs from the responses. */
export async function recount(models: Models, surveyId: Types.ObjectId): Promise<Recount> {
  const { responses, tallyTotal, differences } = await new TallyVerifier(models, new TallyService(models)).verify(surveyId);
  return { stored: responses, counted: tallyTotal, differences };
}

/**
 * Recounts until the counters are right or stop changing (up to `timeoutMs`): counting may run a little
 * behind storing, and a counter that is still moving is not yet a wrong one.
 */
async function settledRecount(models: Models, surveyId: Types.ObjectId, timeoutMs = 30_000): Promise<Recount> {
  const deadline = Date.now() + timeoutMs;
  let last = await recount(models, surveyId);
  while (Date.now() < deadline && (last.differences.length > 0 || last.counted !== last.stored)) {
    await sleep(5000);
    const next = await recount(models, surveyId);
    const still = next.counted === last.counted && next.stored === last.stored && next.differences.length === last.differences.length;
    last = next;
    if (still) break;
  }
  return last;
}

/** Votes stored but not yet counted, as the counting records them (the one line here that knows how). */
export const pendingVotes = (models: Models) => models.TallyPending.countDocuments();

/**
 * Waits until no vote is waiting to be counted (crash recovery runs once a minute on markers a minute old)
 * and the stored count holds still; false when that takes longer than `timeoutMs`.
 */
export async function waitUntilCounted(models: Models, surveyId: Types.ObjectId, timeoutMs: number): Promise<{ counted: boolean; waitedMs: number; pending: number }> {
  const started = Date.now();
  let lastStored = -1;
  let pending = -1;
  while (Date.now() - started < timeoutMs) {
    const stored = await models.Response.countDocuments({ survey: surveyId });
    pending = await pendingVotes(models);
    if (pending === 0 && stored === lastStored) return { counted: true, waitedMs: Date.now() - started, pending };
    lastStored = stored;
    await sleep(2000);
  }
  return { counted: false, waitedMs: Date.now() - started, pending };
}

export interface Reconciled {
  acknowledged: number;
  /** Stored and counted since `before`. */
  stored: number;
  counted: number;
  /** The survey's totals now, the `before` of the next fault. */
  after: Counts;
}

/**
 * Every receipt the residents were given is stored exactly once; nothing is stored that nobody could have been
 * told; every stored vote is counted; the tallies and day slices equal a recount. `before`: the survey's
 * counts when these residents began.
 */
export async function reconcile(checks: CheckList, models: Models, surveyId: Types.ObjectId, stats: ResidentStats, before: Counts, label: string): Promise<Reconciled> {
  const receipts = [...stats.receipts.keys()];
  const givenTwice = [...stats.receipts.values()].filter((times) => times > 1).length;
  // One pass over the survey's receipts (on FerretDB every query reads the whole collection anyway).
  const storedReceipts = new Map<string, number>();
  for await (const r of models.Response.find({ survey: surveyId }, { receipt: 1, _id: 0 }).lean<{ receipt: string }>().cursor()) {
    storedReceipts.set(r.receipt, (storedReceipts.get(r.receipt) ?? 0) + 1);
  }
  const storedNow = [...storedReceipts.values()].reduce((sum, times) => sum + times, 0);
  const stored = storedNow - before.stored;
  const lost = receipts.filter((r) => !storedReceipts.has(r)).length;
  // The demo data's seeded responses all carry the receipt "DEMO".
  const duplicates = [...storedReceipts].filter(([receipt, times]) => times > 1 && receipt !== 'DEMO');
  checks.check(`${label}: acknowledged votes stored`, lost === 0, `${n(receipts.length)} receipts given, ${lost} not stored`);
  checks.check(`${label}: nothing stored twice`, duplicates.length === 0 && givenTwice === 0, `${duplicates.length} receipts stored twice, ${givenTwice} given twice as new`);
  checks.check(
    `${label}: stored = acknowledged (+ posts with no answer)`,
    stored >= receipts.length && stored <= receipts.length + stats.unknownOutcome,
    `stored ${n(stored)}, acknowledged ${n(receipts.length)}, posts whose outcome the resident never learned ${n(stats.unknownOutcome)}`,
  );
  const found = await settledRecount(models, surveyId);
  const counted = found.counted - before.counted;
  checks.check(`${label}: stored = counted`, found.counted === found.stored && found.stored === storedNow, `tally total ${n(found.counted)}, stored responses ${n(found.stored)} (this run: stored +${n(stored)}, counted +${n(counted)})`);
  const shown = found.differences.slice(0, 4).map((d) => `${d.path} tally ${d.tally} recount ${d.recomputed}`);
  checks.check(`${label}: tallies and day slices equal a recount`, found.differences.length === 0, `${n(found.stored)} responses recounted, ${found.differences.length} counters differ${shown.length > 0 ? `: ${shown.join('; ')}${found.differences.length > shown.length ? '; …' : ''}` : ''}`);
  return { acknowledged: receipts.length, stored, counted, after: { stored: found.stored, counted: found.counted } };
}
