/**
 * Runs the phases of a pressure run in order. With `overlap`, a phase starts as soon as the previous one has
 * finished its load and its fault (it calls headDone) while that one still watches its pages, waits for its
 * votes to be counted and checks them: the loads and faults still run one at a time, each on its own Minyi
 * and database, and the waiting no longer adds up. Each phase's output is kept and printed whole, in order.
 */
import { CheckList, type CheckResult } from './check-list.js';
import type { ResidentStats } from './residents.js';

/** One fault's figures, for the table at the end of the run. */
export interface FaultSummary {
  fault: string;
  acknowledged: number;
  stored: number;
  counted: number;
  postsUnavailable: number;
  pagesUnavailable: number;
  slowestUnavailableMs: number;
  healthzAfterMs: number | undefined;
  pagesHealthyAfterMs: number | undefined;
  checksFailed: number;
}

export interface PhaseContext {
  checks: CheckList;
  log(line?: string): void;
  /** The phase's residents and fault are over; what is left is waiting and checking. */
  headDone(): void;
  residents: number;
  /** One line on a residents run, as every phase prints it. */
  summary(stats: ResidentStats & { seconds: number }): string;
  faults: FaultSummary[];
}

export interface Phase {
  name: string;
  run(ctx: PhaseContext): Promise<void>;
}

export async function runPhases(
  phases: Phase[],
  shared: Pick<PhaseContext, 'residents' | 'summary'>,
  options: { overlap: boolean; print(line: string): void },
): Promise<{ checks: CheckResult[]; faults: FaultSummary[] }> {
  const started = performance.now();
  let previousHead: Promise<void> = Promise.resolve();
  const runs = phases.map((phase) => {
    const lines: string[] = [];
    const log = (line = '') => lines.push(line);
    const ctx: PhaseContext = { ...shared, checks: new CheckList(log), log, headDone: () => {}, faults: [] };
    let releaseHead!: () => void;
    const head = new Promise<void>((resolve) => (releaseHead = resolve));
    if (options.overlap) ctx.headDone = releaseHead;
    const waitFor = previousHead;
    previousHead = head;
    const done = waitFor
      .then(() => {
        // Live progress on stderr; the phase's own lines come whole when it ends.
        process.stderr.write(`· ${phase.name} starts at ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
        return phase.run(ctx);
      })
      .catch((error: unknown) => {
        ctx.checks.check(`${phase.name}: ran to the end`, false, (error as Error).stack ?? String(error));
      })
      .finally(releaseHead);
    return { ctx, lines, done };
  });
  for (const run of runs) {
    await run.done;
    for (const line of run.lines) options.print(line);
  }
  return { checks: runs.flatMap((r) => r.ctx.checks.results), faults: runs.flatMap((r) => r.ctx.faults) };
}
