/**
 * The fault phases of `npm run bench:pressure` that need more than one process to play with: the database
 * stalled (SIGSTOP, then SIGCONT) under load, and several Minyi processes on one database behind a
 * round-robin proxy, one of them killed (SIGKILL) under load and started again. Each fault runs the same way
 * (runFault): residents vote before, during and after it while every page is watched until 60 s after its
 * end; then the votes are reconciled with what the database stored and counted (fault-checks.ts).
 */
import type { Types } from 'mongoose';
import type { Models } from '../../server/models/index.js';
import { cpuPer } from './bench-context.js';
import { reconcile, recount, waitUntilCounted, type Counts } from './fault-checks.js';
import { spawnMinyi, startBenchDatabase, unpin, type MinyiProcess, type MinyiWithDatabase } from './minyi-process.js';
import type { PhaseContext } from './phase-runner.js';
import { firstHealthyAnswer, judgePages, PageWatch, pagesToWatch, type WatchedPage } from './page-watch.js';
import { BUREAU, demoAdmin, openDatabase, residentTarget, SURVEY, surveyId } from './pressure-target.js';
import { addStats, newStats, ResidentClient, runResidents, type ResidentStats } from './residents.js';
import { startRoundRobinProxy } from './round-robin-proxy.js';
import { signIn } from './staff-sign-in.js';

/** How long every page is watched after a fault ends. */
const WATCH_AFTER_MS = 60_000;
/** How long votes may take to be counted after a fault (crash recovery runs once a minute on markers a minute old). */
const COUNTED_WITHIN_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const n = (value: number) => value.toLocaleString('en');
const ms = (value: number | undefined) => (value === undefined ? 'never' : `${n(Math.round(value))} ms`);

export interface Fault {
  label: string;
  loadBeforeSeconds: number;
  seconds: number;
  loadAfterSeconds: number;
  begin(): Promise<void>;
  /** Ends the fault; may resolve later (a restarted process once it serves pages): recovery is timed from the call. */
  end(): Promise<void>;
  /** Where recovery is read: the first 200 of this /healthz after the fault's end. */
  healthUrl(): string;
  /** The fault kills a process, so connections it cuts are part of it, not failures. */
  cutsConnections: boolean;
}

interface FaultSetup {
  /** Where residents and the page watch go: Minyi, or the proxy in front of several. */
  url: string;
  models: Models;
  surveyId: Types.ObjectId;
  pages: WatchedPage[];
  /** Everything the Minyi processes printed, to show why a request failed. */
  output(): string;
  /** The Minyi processes that should be running once the fault is over. */
  processes(): MinyiProcess[];
}

/** Whether every Minyi process is still running; a line on each one that is not, with its last words. */
function stillRunning(processes: MinyiProcess[]): { up: boolean; detail: string } {
  const gone = processes.filter((m) => m.child.exitCode !== null || m.child.signalCode !== null);
  const detail = gone
    .map((m) => `${m.url} exited (${m.child.exitCode ?? m.child.signalCode}); its last lines: ${m.output().trim().split('\n').slice(-6).join(' / ').slice(-1500)}`)
    .join('; ');
  return { up: gone.length === 0, detail: gone.length === 0 ? `all ${processes.length} running` : detail };
}

/** The distinct causes of the 5xx errors other than 503 that Minyi logged since `since` (ms since the epoch). */
function serverErrors(output: string, since: number, limit = 3): string[] {
  const causes = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { time?: number; status?: number; err?: { type?: string; message?: string }; path?: string; method?: string };
      if ((entry.time ?? 0) < since || entry.status === undefined || entry.status < 500 || entry.status === 503 || !entry.err) continue;
      const cause = `${entry.method} ${entry.path?.replace(/\/thanks\/.*/, '/thanks/…')} ${entry.status}: ${entry.err.type ?? ''} ${entry.err.message ?? ''}`.slice(0, 240);
      causes.set(cause, (causes.get(cause) ?? 0) + 1);
    } catch {
      // Not a log entry.
    }
  }
  return [...causes].slice(0, limit).map(([cause, times]) => `${cause} (×${times})`);
}

/** What residents may be answered around a fault; anything else (500, 404, 403...) fails the fault. */
function unexpectedProblems(stats: ResidentStats, cutsConnections: boolean): string[] {
  const expected = (what: string) => / 503( until the end)?$/.test(what) || (cutsConnections && / E[A-Z]+$/.test(what));
  return [...stats.problems].filter(([what]) => !expected(what)).map(([what, times]) => `${what} ×${times}`);
}

/** Runs residents through one fault, watches the pages until 60 s after it, then checks everything; returns the survey's counts after it. */
async function runFault(ctx: PhaseContext, setup: FaultSetup, fault: Fault, before: Counts, options: { endsLoad: boolean }): Promise<Counts & { minyiUp: boolean }> {
  const { checks, log } = ctx;
  const failedBefore = checks.failed().length;
  const startedAt = Date.now();
  const total = fault.loadBeforeSeconds + fault.seconds + fault.loadAfterSeconds;
  log(`\n  ${fault.label}: ${ctx.residents} residents for ${total} s, the fault from ${fault.loadBeforeSeconds} s for ${fault.seconds} s, pages watched until ${WATCH_AFTER_MS / 1000} s after it`);
  const watch = new PageWatch(setup.url, setup.pages);
  watch.start();
  const client = new ResidentClient(residentTarget(setup.url), ctx.residents);
  const running = runResidents(client, { residents: ctx.residents, seconds: total });
  await sleep(fault.loadBeforeSeconds * 1000);
  const start = performance.now();
  await fault.begin();
  await sleep(fault.seconds * 1000);
  const end = performance.now();
  const healthz = firstHealthyAnswer(fault.healthUrl, end, WATCH_AFTER_MS);
  await fault.end();
  const stats = await running;
  client.close();
  // The rest is watching and checking: the next phase may put its load on its own Minyi meanwhile.
  if (options.endsLoad) ctx.headDone();
  log(`  ${ctx.summary(stats)}`);
  await sleep(end + WATCH_AFTER_MS + 1000 - performance.now());
  // A round of slow pages may still be on its way: stop once one was sent after the window (or 30 s later).
  for (let waited = 0; watch.lastSentAt() < end + WATCH_AFTER_MS && waited < 30_000; waited += 250) await sleep(250);
  const answers = await watch.stop();
  const healthzAfterMs = await healthz;
  const pages = judgePages(answers, { start, end }, { windowMs: WATCH_AFTER_MS, cutsConnections: fault.cutsConnections });
  const label = fault.label;
  const alive = stillRunning(setup.processes());
  checks.check(`${label}: Minyi stayed up`, alive.up, alive.detail);

  const posts = stats.unavailable.filter((u) => u.method === 'POST');
  const slowest = Math.max(pages.slowestUnavailableMs, ...stats.unavailable.map((u) => u.ms));
  log(`  503s: ${n(posts.length)} posts, ${n(stats.unavailable.length - posts.length)} form pages of residents, ${n(pages.unavailable)} of ${n(pages.answers)} watched pages; slowest 503 ${ms(slowest)}, slowest page ${ms(pages.slowestAnswerMs)}; /healthz 200 ${ms(healthzAfterMs)} after the fault's end, every page correct again ${ms(pages.healthyAfterMs)} after it`);
  checks.check(`${label}: every page answered correctly until ${WATCH_AFTER_MS / 1000} s after the fault`, pages.ok, `${pages.rounds} rounds of ${setup.pages.length} pages; ${pages.problems.length === 0 ? 'no 500, no 404, 503 only during the fault' : pages.problems.slice(0, 6).join('; ')}`);
  const healthyFrom = pages.healthyAfterMs === undefined ? Number.POSITIVE_INFINITY : end + pages.healthyAfterMs;
  const late = stats.unavailable.filter((u) => u.at < start || u.at - u.ms >= healthyFrom);
  const unexpected = unexpectedProblems(stats, fault.cutsConnections);
  const withoutRetryAfter = stats.unavailable.filter((u) => u.retryAfter === undefined).length;
  for (const cause of serverErrors(setup.output(), startedAt)) log(`  Minyi logged: ${cause}`);
  checks.check(
    `${label}: residents answered 200/303, or 503 with Retry-After during the fault`,
    unexpected.length === 0 && late.length === 0 && withoutRetryAfter === 0,
    `${n(stats.unavailable.length)} answered 503 (${withoutRetryAfter} without Retry-After, ${late.length} outside the fault and its recovery); other problems: ${unexpected.length === 0 ? 'none' : unexpected.join(', ')}`,
  );
  const settled = await waitUntilCounted(setup.models, setup.surveyId, COUNTED_WITHIN_MS);
  checks.check(`${label}: votes left pending were counted`, settled.counted, settled.counted ? `none pending ${ms(settled.waitedMs)} after the watch` : `${settled.pending} markers still pending after ${COUNTED_WITHIN_MS / 1000} s`);
  const result = await reconcile(checks, setup.models, setup.surveyId, stats, before, label);
  log(`  → ${label}: votes acknowledged ${n(result.acknowledged)}, stored ${n(result.stored)}, counted ${n(result.counted)}`);
  ctx.faults.push({
    fault: label,
    acknowledged: result.acknowledged,
    stored: result.stored,
    counted: result.counted,
    postsUnavailable: posts.length,
    pagesUnavailable: pages.unavailable,
    slowestUnavailableMs: slowest,
    healthzAfterMs,
    pagesHealthyAfterMs: pages.healthyAfterMs,
    checksFailed: checks.failed().length - failedBefore,
  });
  return { ...result.after, minyiUp: alive.up };
}

/** The pages to watch and the survey's counts now, on a fresh demo database whose administrator `output` names. */
async function prepare(models: Models, url: string, output: string): Promise<{ id: Types.ObjectId; pages: WatchedPage[]; counts: Counts }> {
  const id = await surveyId(models);
  const admin = demoAdmin(output);
  const cookie = await signIn(url, admin.email, admin.password);
  const pages = await pagesToWatch(models, { cookie, bureau: BUREAU, survey: SURVEY });
  const { stored, counted } = await recount(models, id);
  return { id, pages, counts: { stored, counted } };
}

/** The database frozen (SIGSTOP) for each of `stallSeconds` in turn under load, then let go (SIGCONT). */
export async function databaseStalls(ctx: PhaseContext, start: () => Promise<MinyiWithDatabase>, stallSeconds: readonly number[]): Promise<void> {
  ctx.log(`\n── database stalled under load: SIGSTOP for ${stallSeconds.join(', ')} s, then SIGCONT; ${ctx.residents} residents ──`);
  const minyi = await start();
  const db = await openDatabase(minyi.database.uri);
  const pid = minyi.db.pid();
  if (!pid) throw new Error('FerretDB process not found');
  let frozen = false;
  const resume = () => {
    if (frozen) process.kill(pid, 'SIGCONT');
    frozen = false;
  };
  // A script that dies mid-stall must not leave a frozen database behind.
  process.once('exit', resume);
  try {
    const { id, pages, counts } = await prepare(db.models, minyi.url, minyi.output());
    let before: Counts & { minyiUp?: boolean } = counts;
    for (const [i, seconds] of stallSeconds.entries()) {
      before = await runFault(
        ctx,
        { url: minyi.url, models: db.models, surveyId: id, pages, output: () => minyi.output(), processes: () => [minyi] },
        {
          label: `database stalled ${seconds} s`,
          loadBeforeSeconds: 8,
          seconds,
          loadAfterSeconds: 10,
          begin: async () => {
            process.kill(pid, 'SIGSTOP');
            frozen = true;
          },
          end: async () => resume(),
          healthUrl: () => `${minyi.url}/healthz`,
          cutsConnections: false,
        },
        before,
        { endsLoad: i === stallSeconds.length - 1 },
      );
      if (before.minyiUp === false) {
        // The next stalls would only measure a dead process.
        ctx.log(`  Minyi exited: the stalls after this one are skipped`);
        ctx.checks.check('database stalls: every stall ran', false, `skipped ${stallSeconds.slice(i + 1).join(', ') || 'none'} s after Minyi exited`);
        ctx.headDone();
        break;
      }
    }
  } finally {
    resume();
    process.removeListener('exit', resume);
    await db.close();
    await minyi.stop();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface ProcessesOptions {
  processes: number;
  /** Rounds of the throughput comparison, each measuring 1 process and then all of them (or the other way round). */
  rounds: number;
  /** Seconds of each throughput measurement. */
  seconds: number;
  /** Seconds the killed process stays down. */
  downSeconds: number;
}

/**
 * Several Minyi processes on one database behind the round-robin proxy: votes/s through the proxy with one
 * process against all of them, then one of them killed (SIGKILL) under load and started again on its port.
 * Nothing is pinned here: the processes share every core, as one process per core would in production.
 */
export async function severalProcesses(ctx: PhaseContext, options: ProcessesOptions): Promise<void> {
  const { checks, log, residents } = ctx;
  log(`\n── ${options.processes} Minyi processes on one database behind a round-robin proxy: ${options.rounds} × ${options.seconds} s with 1 and with ${options.processes}, then one killed (SIGKILL) for ${options.downSeconds} s; ${residents} residents ──`);
  unpin(process.pid);
  const db = await startBenchDatabase();
  // Children inherit this script's cores of the moment, which another phase may have pinned.
  const unpinned = (minyi: MinyiProcess) => {
    if (minyi.child.pid) unpin(minyi.child.pid);
    return minyi;
  };
  const databasePid = db.pid();
  if (databasePid) unpin(databasePid);
  const minyis: MinyiProcess[] = [];
  let proxy: Awaited<ReturnType<typeof startRoundRobinProxy>> | undefined;
  let connection: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    // One after the other: the first creates the demo data, the others find it.
    for (let i = 0; i < options.processes; i += 1) minyis.push(unpinned(await spawnMinyi(db)));
    const ports = minyis.map((m) => Number(new URL(m.url).port));
    proxy = await startRoundRobinProxy(ports);
    connection = await openDatabase(db.database.uri);
    const { id, pages, counts } = await prepare(connection.models, proxy.url, minyis[0]!.output());

    // Throughput: the same residents through the same proxy, to one process or to all of them.
    const measure = async (processes: number, seconds: number) => {
      proxy!.setBackends(ports.slice(0, processes));
      proxy!.resetCounts();
      // A new client: the proxy picks a process per connection, and kept-alive connections stay where they are.
      const client = new ResidentClient(residentTarget(proxy!.url), residents);
      const { result, ms: cpu } = await cpuPer([...minyis.map((m) => m.child.pid), db.pid()], () => runResidents(client, { residents, seconds }), (r) => r.completed);
      client.close();
      return { result, minyiCpuMs: cpu.slice(0, -1).reduce((sum, v) => sum + v, 0), databaseCpuMs: cpu.at(-1)!, connections: [...proxy!.connectionsByPort().values()] };
    };
    const all = newStats();
    const warm = await measure(options.processes, Math.min(5, options.seconds));
    addStats(all, warm.result);
    log(`  warm-up through ${options.processes} processes (not measured): ${ctx.summary(warm.result)}`);
    const ratios: number[] = [];
    const rates = new Map<number, number[]>([[1, []], [options.processes, []]]);
    for (let round = 1; round <= options.rounds; round += 1) {
      const order = round % 2 === 1 ? [1, options.processes] : [options.processes, 1];
      const rate = new Map<number, number>();
      for (const processes of order) {
        const m = await measure(processes, options.seconds);
        addStats(all, m.result);
        const perSecond = m.result.completed / m.result.seconds;
        rate.set(processes, perSecond);
        rates.get(processes)!.push(perSecond);
        log(`  round ${round}, ${processes} process${processes > 1 ? 'es' : ''}: ${ctx.summary(m.result)}; CPU per vote: Minyi ${m.minyiCpuMs.toFixed(2)} ms, FerretDB ${m.databaseCpuMs.toFixed(2)} ms; connections per process ${m.connections.join('/')}`);
      }
      ratios.push(rate.get(options.processes)! / rate.get(1)!);
    }
    log(
      `  votes/s through the proxy: 1 process ${median(rates.get(1)!).toFixed(0)}, ${options.processes} processes ${median(rates.get(options.processes)!).toFixed(0)} (medians of ${options.rounds}); ` +
        `ratio ${median(ratios).toFixed(2)}× (median of the per-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
    checks.check(`${options.processes} processes: every resident got a receipt`, all.problems.size === 0, `${n(all.completed)} receipts; problems: ${all.problems.size === 0 ? 'none' : JSON.stringify(Object.fromEntries(all.problems))}`);
    const settled = await waitUntilCounted(connection.models, id, COUNTED_WITHIN_MS);
    checks.check(`${options.processes} processes: votes counted`, settled.counted, settled.counted ? 'none pending' : `${settled.pending} markers pending after ${COUNTED_WITHIN_MS / 1000} s`);
    const before = (await reconcile(checks, connection.models, id, all, counts, `${options.processes} processes, no fault`)).after;

    const victim = 1;
    const killed: MinyiProcess[] = [];
    proxy.setBackends(ports);
    let failovers = 0;
    await runFault(
      ctx,
      { url: proxy.url, models: connection.models, surveyId: id, pages, output: () => [...killed, ...minyis].map((m) => m.output()).join('\n'), processes: () => minyis },
      {
        label: `1 of ${options.processes} Minyi processes killed ${options.downSeconds} s`,
        loadBeforeSeconds: 8,
        seconds: options.downSeconds,
        loadAfterSeconds: 10,
        begin: async () => {
          killed.push(minyis[victim]!);
          minyis[victim]!.child.kill('SIGKILL');
          await minyis[victim]!.exited;
        },
        end: async () => {
          failovers = proxy!.failovers();
          minyis[victim] = unpinned(await spawnMinyi(db, { port: ports[victim] }));
          proxy!.resetCounts();
        },
        healthUrl: () => `http://127.0.0.1:${ports[victim]}/healthz`,
        cutsConnections: true,
      },
      before,
      { endsLoad: true },
    );
    const taken = proxy.connectionsByPort().get(ports[victim]!) ?? 0;
    log(`  the proxy passed ${failovers} connections refused by the killed process on to the next one`);
    checks.check(`1 of ${options.processes} Minyi processes killed: the restarted process serves again`, taken > 0 && minyis.every((m) => m.child.exitCode === null), `${taken} connections to it after its restart; all ${options.processes} processes running`);
  } finally {
    await proxy?.close();
    await connection?.close();
    for (const minyi of minyis) await minyi.stop();
    await db.stop();
  }
}
