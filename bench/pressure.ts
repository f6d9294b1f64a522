/**
 * `npm run bench:pressure [-- --votes 100000 --residents 100 --only restart,processes,stall,load,shutdown --short]`:
 * Minyi under pressure, as separate processes on their own embedded FerretDB, with simulated residents
 * (bench/lib/residents.ts). Each phase starts its own database and Minyi:
 *
 * - restart: the database is killed part-way through a run and started again. Checks 503 with Retry-After
 *   within 5 s while it is down, a clear staff error page, that Minyi reconnects by itself.
 * - processes: 3 Minyi processes on one database behind a round-robin TCP proxy (bench/lib/round-robin-proxy.ts);
 *   votes/s with 1 and with 3 behind the same proxy, then one process killed (SIGKILL) under load and restarted.
 * - stall: the database frozen (SIGSTOP) for 2, 6 and 20 s under load, then let go (SIGCONT).
 * - load: `votes` votes from `residents` concurrent residents in five runs, every 20th posting its form twice
 *   and opening the survey again; retries and revisits answered with the first receipt, and Minyi's resident
 *   set size after each run (under 300 MB, not growing).
 * - shutdown: SIGTERM during a run. Checks exit code 0 and that new connections are refused.
 * - replays (only with --only replays): vote latency with and without 200 replays of a used invitation code
 *   (bench/lib/replay-phase.ts). Checks the replays are refused, never 5xx, and store nothing.
 *
 * After every phase and fault: every acknowledged vote stored once, nothing stored that nobody could have been
 * told, every stored vote counted, tallies and day slices equal to Minyi's recount (bench/lib/fault-checks.ts);
 * after the stalls and the kill also every page answering correctly until 60 s after the fault
 * (bench/lib/page-watch.ts). `--short` (CI): one 6 s stall, one round of the throughput comparison, and each
 * phase starts once the previous one has finished its load (bench/lib/phase-runner.ts).
 *
 * Exit code 0 when every check holds; speed is printed, never checked. See bench/README.md.
 */
import os from 'node:os';
import { pendingVotes, reconcile, recount, waitUntilCounted, type Counts } from './lib/fault-checks.js';
import { databaseStalls, severalProcesses } from './lib/fault-phases.js';
import { replays } from './lib/replay-phase.js';
import { pinToCore, startMinyiProcess, type MinyiWithDatabase } from './lib/minyi-process.js';
import { runPhases, type FaultSummary, type Phase, type PhaseContext } from './lib/phase-runner.js';
import { demoAdmin, openDatabase, residentTarget, surveyId } from './lib/pressure-target.js';
import { addStats, newStats, ResidentClient, runResidents, type ResidentStats } from './lib/residents.js';
import { signIn } from './lib/staff-sign-in.js';
import { markdownTable } from './lib/table.js';

const RUNS = 5;
const RSS_LIMIT_MB = 300;
/**
 * In the order they run. With --short the restart goes first: its wait for the crash recovery to count the
 * votes left pending (up to two minutes) then overlaps everything else, and the throughput comparison runs
 * while only that idle wait goes on.
 */
const PHASES = ['restart', 'processes', 'stall', 'load', 'shutdown'];
/** Run only when named in --only, after the others; not part of the default or CI runs. */
const EXTRA_PHASES = ['replays'];

const log = (line = '') => process.stdout.write(`${line}\n`);

function parseArgs(argv = process.argv.slice(2)) {
  const value = (name: string) => {
    const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (at < 0) return undefined;
    return argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1];
  };
  const only = new Set((value('only') ?? PHASES.join(',')).split(','));
  const unknown = [...only].filter((phase) => !PHASES.includes(phase) && !EXTRA_PHASES.includes(phase));
  if (unknown.length > 0) throw new Error(`--only: no phase ${unknown.join(', ')} (phases: ${[...PHASES, ...EXTRA_PHASES].join(', ')})`);
  const short = argv.includes('--short');
  return {
    votes: Number(value('votes') ?? 100_000),
    residents: Number(value('residents') ?? 100),
    only,
    short,
    stalls: (value('stalls') ?? (short ? '6' : '2,6,20')).split(',').map(Number),
    rounds: Number(value('rounds') ?? (short ? 1 : 3)),
    seconds: Number(value('seconds') ?? (short ? 10 : 20)),
    downSeconds: Number(value('down-seconds') ?? (short ? 5 : 10)),
    replays: Number(value('replays') ?? 200),
  };
}

/** The survey's stored and counted votes now, from Minyi's recount. */
async function countsNow(minyi: MinyiWithDatabase): Promise<Counts> {
  const db = await openDatabase(minyi.database.uri);
  try {
    const { stored, counted } = await recount(db.models, await surveyId(db.models));
    return { stored, counted };
  } finally {
    await db.close();
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const summary = (stats: ResidentStats & { seconds: number }) =>
  `${stats.completed.toLocaleString('en')} votes in ${stats.seconds.toFixed(1)} s (${(stats.completed / stats.seconds).toFixed(0)}/s), cycle p50 ${percentile(stats.cycleMs, 50).toFixed(0)} ms p99 ${percentile(stats.cycleMs, 99).toFixed(0)} ms, ` +
  `${stats.retriesSameReceipt} retries and ${stats.revisitsSameReceipt} revisits got their first receipt, problems: ${stats.problems.size === 0 ? 'none' : JSON.stringify(Object.fromEntries(stats.problems))}`;

/** The client runs on the other core than Minyi and its database, where there are two. */
async function start(): Promise<MinyiWithDatabase> {
  pinToCore(process.pid, 0);
  const minyi = await startMinyiProcess({ core: 0 });
  pinToCore(process.pid, 1);
  return minyi;
}

async function load(ctx: PhaseContext, votes: number, residents: number): Promise<void> {
  const { log } = ctx;
  const check = ctx.checks.check.bind(ctx.checks);
  log(`\n── load: ${votes.toLocaleString('en')} votes, ${residents} residents, ${RUNS} runs ──`);
  const minyi = await start();
  const db = await openDatabase(minyi.database.uri);
  try {
    const id = await surveyId(db.models);
    const before = await countsNow(minyi);
    const client = new ResidentClient(residentTarget(minyi.url), residents);
    const stats = newStats();
    const rss: number[] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, minyi.rssMb())), 500);
      const result = await runResidents(client, { residents, votes: Math.ceil(votes / RUNS), everyNth: 20 });
      clearInterval(sampler);
      addStats(stats, result);
      rss.push(peak);
      log(`  run ${run}: Minyi RSS peak ${peak.toFixed(0)} MB · ${summary(result)}`);
    }
    client.close();
    check('load: every resident got a receipt', stats.problems.size === 0, `${stats.completed.toLocaleString('en')} receipts; problems ${JSON.stringify(Object.fromEntries(stats.problems))}`);
    const repeatProblems = [...stats.problems.keys()].filter((k) => k.startsWith('retry') || k.startsWith('revisit'));
    check('load: retries and revisits got their first receipt', stats.retriesSameReceipt > 0 && stats.revisitsSameReceipt > 0 && repeatProblems.length === 0, `${stats.retriesSameReceipt} retries, ${stats.revisitsSameReceipt} revisits, ${repeatProblems.length} answered otherwise`);
    check(`load: RSS under ${RSS_LIMIT_MB} MB`, Math.max(...rss) < RSS_LIMIT_MB, `peaks per run ${rss.map((r) => r.toFixed(0)).join(', ')} MB`);
    check('load: RSS does not grow across runs', rss[RUNS - 1]! <= rss[1]! * 1.15, `run 2 ${rss[1]!.toFixed(0)} MB → run ${RUNS} ${rss[RUNS - 1]!.toFixed(0)} MB (the first run includes warming up)`);
    ctx.headDone();
    await waitUntilCounted(db.models, id, 150_000);
    await reconcile(ctx.checks, db.models, id, stats, before, 'load');
  } finally {
    await db.close();
    await minyi.stop();
  }
}

async function restart(ctx: PhaseContext, residents: number): Promise<void> {
  const { log } = ctx;
  const check = ctx.checks.check.bind(ctx.checks);
  log(`\n── database restart under load: ${residents} residents for 40 s, database killed at 10 s, back at 20 s ──`);
  const minyi = await start();
  try {
    const before = await countsNow(minyi);
    const admin = demoAdmin(minyi.output());
    const cookie = await signIn(minyi.url, admin.email, admin.password);
    const client = new ResidentClient(residentTarget(minyi.url), residents);
    const running = runResidents(client, { residents, seconds: 40 });
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await minyi.db.kill();
    log('  database killed');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const staff = await fetch(`${minyi.url}/staff`, { headers: { accept: 'text/html', cookie } });
    const staffBody = await staff.text();
    check('restart: staff page while the database is down', staff.status === 503 && /database|数据库/i.test(staffBody) && !/at .*\.js/.test(staffBody), `status ${staff.status}`);
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await minyi.db.restart();
    log('  database restarted');
    const stats = await running;
    client.close();
    log(`  ${summary(stats)}`);
    const posts = stats.unavailable.filter((u) => u.method === 'POST');
    const slowest = Math.max(0, ...posts.map((u) => u.ms));
    check('restart: votes refused with 503 and Retry-After within 5 s', posts.length > 0 && slowest < 5000 && posts.every((u) => u.retryAfter !== undefined), `${posts.length} posts answered 503, slowest ${slowest.toFixed(0)} ms, all with Retry-After: ${posts.every((u) => u.retryAfter !== undefined)}`);
    const health = await fetch(`${minyi.url}/healthz`);
    check('restart: Minyi reconnected by itself and stayed up', health.status === 200 && minyi.child.exitCode === null, `/healthz ${health.status}`);
    ctx.headDone();
    const after = await openDatabase(minyi.database.uri);
    try {
      const id = await surveyId(after.models);
      const recovered = await waitUntilCounted(after.models, id, 180_000);
      check('restart: votes left pending were counted', recovered.counted, recovered.counted ? 'no pending markers left' : `${recovered.pending} pending markers remain after 180 s`);
      await reconcile(ctx.checks, after.models, id, stats, before, 'restart');
    } finally {
      await after.close();
    }
  } finally {
    await minyi.stop();
  }
}

async function shutdown(ctx: PhaseContext, residents: number): Promise<void> {
  const { log } = ctx;
  const check = ctx.checks.check.bind(ctx.checks);
  log(`\n── SIGTERM under load: ${residents} residents, SIGTERM after 8 s ──`);
  const minyi = await start();
  try {
    const before = await countsNow(minyi);
    const client = new ResidentClient(residentTarget(minyi.url), residents);
    const running = runResidents(client, { residents, seconds: 15 });
    await new Promise((resolve) => setTimeout(resolve, 8000));
    const signalled = performance.now();
    minyi.child.kill('SIGTERM');
    const code = await minyi.exited;
    const seconds = (performance.now() - signalled) / 1000;
    const stats = await running;
    client.close();
    log(`  ${summary(stats)}`);
    check('shutdown: exit code 0 after SIGTERM', code === 0, `exit code ${code} after ${seconds.toFixed(1)} s; output: ${minyi.output().trim().split('\n').slice(-2).join(' / ')}`);
    const refused = await fetch(`${minyi.url}/healthz`).then((r) => `status ${r.status}`, (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message);
    check('shutdown: new connections refused', refused === 'ECONNREFUSED', refused);
    ctx.headDone();
    const after = await openDatabase(minyi.database.uri);
    try {
      const pending = await pendingVotes(after.models);
      check('shutdown: no vote left pending', pending === 0, `${pending} pending markers`);
      await reconcile(ctx.checks, after.models, await surveyId(after.models), stats, before, 'shutdown');
    } finally {
      await after.close();
    }
  } finally {
    await minyi.stop();
  }
}

/** One row per fault, in Markdown for bench/README.md. */
function printFaults(faults: FaultSummary[]): void {
  const n = (value: number) => value.toLocaleString('en');
  const ms = (value: number | undefined) => (value === undefined ? 'never' : n(Math.round(value)));
  log('\n── faults ──');
  log(
    markdownTable(
      ['fault', 'acknowledged', 'stored', 'counted', '503 posts', '503 pages', 'slowest 503 ms', '/healthz 200 after ms', 'pages correct after ms', 'checks failed'],
      faults.map((f) => [f.fault, n(f.acknowledged), n(f.stored), n(f.counted), n(f.postsUnavailable), n(f.pagesUnavailable), ms(f.slowestUnavailableMs), ms(f.healthzAfterMs), ms(f.pagesHealthyAfterMs), String(f.checksFailed)]),
      (i) => i > 0,
    ),
  );
}

async function main(): Promise<number> {
  const options = parseArgs();
  const { votes, residents, only } = options;
  const faultResidents = Math.min(residents, 50);
  const started = performance.now();
  log(`bench:pressure · Node ${process.version} · ${os.cpus().length} cores · ${only.has('load') ? `load ${votes} votes, ` : ''}${residents} residents${options.short ? ' · short' : ''} · phases ${[...PHASES, ...EXTRA_PHASES].filter((p) => only.has(p)).join(', ')}`);
  const phases: Record<string, Phase['run']> = {
    processes: (ctx) => severalProcesses(ctx, { processes: 3, rounds: options.rounds, seconds: options.seconds, downSeconds: options.downSeconds }),
    restart: (ctx) => restart(ctx, faultResidents),
    stall: (ctx) => databaseStalls(ctx, start, options.stalls),
    load: (ctx) => load(ctx, votes, residents),
    shutdown: (ctx) => shutdown(ctx, faultResidents),
    replays: (ctx) => replays(ctx, start, { seconds: options.seconds, replays: options.replays }),
  };
  const { checks, faults } = await runPhases(
    [...PHASES, ...EXTRA_PHASES].filter((name) => only.has(name)).map((name) => ({ name, run: phases[name]! })),
    { residents: faultResidents, summary },
    { overlap: options.short, print: log },
  );
  if (faults.length > 0) printFaults(faults);
  const failed = checks.filter((c) => !c.ok);
  log(`\n${checks.length - failed.length} of ${checks.length} checks hold${failed.length > 0 ? `; failed: ${failed.map((c) => c.name).join('; ')}` : ''} (${((performance.now() - started) / 60_000).toFixed(1)} minutes)`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:pressure failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
