/**
 * The ballot-stuffing report of a survey, one shape for the staff panel, the read API and (its counted vs
 * refused part only) the public results page: the tally's counters by reason, plus what this process watched
 * in memory (bursts, repeated free texts; see VoteWatch).
 */
import type { IntegrityCounters } from '../../models/tally.model.js';
import type { VoteWatchReport } from './vote-watch.js';

/** Why posts were not counted, in the order they are shown. */
export const REFUSAL_REASONS = ['duplicate', 'rateLimited', 'honeypot', 'tooFast', 'badToken', 'invalid', 'codeRefused'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Counted vs refused, with nothing that identifies anybody: safe to publish. */
export interface IntegrityStatement {
  counted: number;
  refused: Record<RefusalReason, number>;
  /** Address groups refused as bots (any of honeypot, too fast, bad token, code refused), once per ten minutes. */
  refusedAddressGroups: number;
}

export interface IntegrityReport extends IntegrityStatement {
  /** Watched by this process only, since it started: bursts over the last hour and repeated free texts. */
  watch: VoteWatchReport;
}

export function integrityStatement(counters: IntegrityCounters): IntegrityStatement {
  return {
    counted: counters.accepted,
    refused: Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, counters[reason] ?? 0])) as Record<RefusalReason, number>,
    refusedAddressGroups: counters.refused,
  };
}

export function integrityReport(counters: IntegrityCounters, watch: VoteWatchReport): IntegrityReport {
  return { ...integrityStatement(counters), watch };
}
