/** What every scenario of `npm run bench` works with: Minyi's process, its database, the baselines, the survey. */
import type { Models } from '../../server/models/index.js';
import type { Bureau } from '../../server/models/bureau.model.js';
import type { Survey } from '../../server/models/survey.model.js';
import type { BaselineUrls } from '../baseline-server.js';
import { cpuMs, type BenchDatabase, type MinyiProcess } from './minyi-process.js';

export interface BenchOptions {
  rounds: number;
  /** Seconds of each autocannon measurement. */
  duration: number;
  connections: number;
  /** Seconds of each closed-loop residents measurement. */
  residentSeconds: number;
  dashboardSizes: number[];
}

export interface PublishedTarget {
  bureau: Bureau;
  survey: Survey;
  /** e.g. /b/huzhou-police/s/top-public-security-concerns */
  path: string;
}

export interface BenchContext {
  options: BenchOptions;
  db: BenchDatabase;
  /** The Minyi process now running (start-up and profiling restart it). */
  minyi(): MinyiProcess;
  /** Stops Minyi and starts it again on the same database; resolves with the new process. */
  restartMinyi(nodeArgs?: string[]): Promise<MinyiProcess>;
  models: Models;
  baselines: BaselineUrls;
  /** The baselines' process. */
  baselinePid: number | undefined;
  /** The survey residents vote on. */
  target: PublishedTarget;
  log(line?: string): void;
}

/** Looks a demo survey up by its slugs, with its bureau. */
export async function findTarget(models: Models, bureauSlug: string, surveySlug: string): Promise<PublishedTarget> {
  const bureau = await models.Bureau.findOne({ slug: bureauSlug }).lean<Bureau>();
  const survey = bureau ? await models.Survey.findOne({ bureau: bureau._id, slug: surveySlug }).lean<Survey>() : null;
  if (!bureau || !survey) throw new Error(`The demo data has no survey ${bureauSlug}/${surveySlug}; was MINYI_DEMO_DATA ignored?`);
  return { bureau, survey, path: `/b/${bureau.slug}/s/${survey.slug}` };
}

/** Waits until Minyi has counted every vote it stored (no pending markers) and the stored count holds still. */
export async function settleVotes(models: Models, surveyId: Survey['_id'], timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const [stored, pending] = await Promise.all([models.Response.countDocuments({ survey: surveyId }), models.TallyPending.countDocuments()]);
    if (stored !== last || pending > 0) {
      last = stored;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 2000) {
      return stored;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`votes did not settle within ${timeoutMs / 1000} s`);
}

/** CPU time each process spends while `work` runs, in ms per `units(result)` (requests, votes...); NaN for a missing pid. */
export async function cpuPer<T>(pids: Array<number | undefined>, work: () => Promise<T>, units: (result: T) => number): Promise<{ result: T; ms: number[] }> {
  const read = () => pids.map((pid) => (pid ? cpuMs(pid) : Number.NaN));
  const before = read();
  const result = await work();
  const after = read();
  const n = Math.max(1, units(result));
  return { result, ms: after.map((value, i) => (value - before[i]!) / n) };
}
