/**
 * `npm run bench:pressure [-- --votes 100000 --residents 100 --only load,restart,shutdown]`: Minyi under
 * pressure, as a separate process on its own embedded FerretDB, with simulated residents (bench/lib/residents.ts):
 *
 * - load: `votes` votes from `residents` concurrent residents in five runs, every 20th posting its form twice
 *   and opening the survey again. Checks accepted == stored == tally, no receipt twice, retries and revisits
 *   answered with the first receipt, and Minyi's resident set size after each run (under 300 MB, not growing).
 * - restart: the database is killed part-way through a run and started again. Checks 503 with Retry-After
 *   within 5 s while it is down, a clear staff error page, that Minyi reconnects by itself, that every
 *   acknowledged vote is stored once, and that the tallies equal a recount (TallyVerifier).
 * - shutdown: SIGTERM during a run. Checks exit code 0, that new connections are refused, and that every
 *   acknowledged vote is stored.
 *
 * Exit code 0 when every check holds. See bench/README.md.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose, { type Types } from 'mongoose';
import { createModels, type Models } from '../server/models/index.js';
import type { Question } from '../server/models/survey-definition.types.js';
import { projectRoot } from '../server/paths.js';
import { demoBureaus } from '../server/services/demo/demo-bureaus.js';
import { TallyService } from '../server/services/tallies/tally.service.js';
import { TallyVerifier } from '../server/services/tallies/tally-verifier.js';
import { pinToCore, startMinyiProcess, type MinyiWithDatabase } from './lib/minyi-process.js';
import { addStats, newStats, ResidentClient, runResidents, type ResidentStats } from './lib/residents.js';
import { signIn } from './lib/staff-sign-in.js';

const BUREAU = 'huzhou-police';
const SURVEY = 'top-public-security-concerns';
const RUNS = 5;
const RSS_LIMIT_MB = 300;

const log = (line = '') => process.stdout.write(`${line}\n`);
const checks: Array<{ name: string; ok: boolean; detail: string }> = [];
function check(name: string, ok: boolean, detail: string): void {
  checks.push({ name, ok, detail });
  log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
}

function parseArgs(argv = process.argv.slice(2)) {
  const value = (name: string) => {
    const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (at < 0) return undefined;
    return argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1];
  };
  const only = new Set((value('only') ?? 'load,restart,shutdown').split(','));
  return { votes: Number(value('votes') ?? 100_000), residents: Number(value('residents') ?? 100), only };
}

function target(url: string) {
  const template = JSON.parse(readFileSync(path.join(projectRoot(), 'surveys', `${SURVEY}.json`), 'utf8')) as { questions: Question[] };
  const bureau = demoBureaus.find((b) => b.slug === BUREAU)!;
  return { url, path: `/b/${BUREAU}/s/${SURVEY}`, questions: template.questions, districtIds: bureau.districts.map((d) => d.id) };
}

/** Models on Minyi's database, for counting what it stored. */
async function openDatabase(minyi: MinyiWithDatabase): Promise<{ models: Models; close(): Promise<void> }> {
  const connection = await mongoose.createConnection(minyi.database.uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  return { models: createModels(connection), close: () => connection.close() };
}

async function surveyId(models: Models) {
  const bureau = await models.Bureau.findOne({ slug: BUREAU }, { _id: 1 }).lean();
  const survey = await models.Survey.findOne({ bureau: bureau!._id, slug: SURVEY }, { _id: 1 }).lean();
  return survey!._id;
}

/** Waits until the tally writer and crash recovery have counted every vote (no pending markers left). */
async function settled(models: Models, seconds: number): Promise<boolean> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if ((await models.TallyPending.countDocuments()) === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return false;
}

/** Every receipt the residents were given is stored exactly once; nothing is stored that nobody could have been told. */
async function reconcile(models: Models, id: Types.ObjectId, stats: ResidentStats, storedBefore: number, label: string): Promise<void> {
  const receipts = [...stats.receipts.keys()];
  const givenTwice = [...stats.receipts.values()].filter((n) => n > 1).length;
  // One pass over the survey's receipts (on FerretDB every query reads the whole collection anyway).
  const storedReceipts = new Map<string, number>();
  for await (const r of models.Response.find({ survey: id }, { receipt: 1, _id: 0 }).lean<{ receipt: string }>().cursor()) {
    storedReceipts.set(r.receipt, (storedReceipts.get(r.receipt) ?? 0) + 1);
  }
  const stored = [...storedReceipts.values()].reduce((sum, n) => sum + n, 0) - storedBefore;
  const lost = receipts.filter((r) => !storedReceipts.has(r)).length;
  // The demo data's seeded responses all carry the receipt "DEMO".
  const duplicates = [...storedReceipts].filter(([receipt, n]) => n > 1 && receipt !== 'DEMO');
  const tallies = new TallyService(models);
  const tally = await tallies.get(id);
  check(`${label}: acknowledged votes stored`, lost === 0, `${receipts.length.toLocaleString('en')} receipts given, ${lost} not stored`);
  check(`${label}: nothing stored twice`, duplicates.length === 0 && givenTwice === 0, `${duplicates.length} receipts stored twice, ${givenTwice} given twice as new`);
  check(
    `${label}: stored = acknowledged (+ posts with no answer)`,
    stored >= receipts.length && stored <= receipts.length + stats.unknownOutcome,
    `stored ${stored.toLocaleString('en')}, acknowledged ${receipts.length.toLocaleString('en')}, posts that got no answer ${stats.unknownOutcome}`,
  );
  const verified = await new TallyVerifier(models, tallies).verify(id);
  check(`${label}: tallies equal a recount`, verified.differences.length === 0 && verified.tallyTotal === (tally?.total ?? -1), `${verified.responses.toLocaleString('en')} responses, tally ${tally?.total}, ${verified.differences.length} counters differ`);
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

async function load(votes: number, residents: number): Promise<void> {
  log(`\n── load: ${votes.toLocaleString('en')} votes, ${residents} residents, ${RUNS} runs ──`);
  const minyi = await start();
  const db = await openDatabase(minyi);
  try {
    const id = await surveyId(db.models);
    const before = await db.models.Response.countDocuments({ survey: id });
    const client = new ResidentClient(target(minyi.url), residents);
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
    await settled(db.models, 150);
    await reconcile(db.models, id, stats, before, 'load');
  } finally {
    await db.close();
    await minyi.stop();
  }
}

async function restart(residents: number): Promise<void> {
  log(`\n── database restart under load: ${residents} residents for 40 s, database killed at 10 s, back at 20 s ──`);
  const minyi = await start();
  const db = await openDatabase(minyi);
  try {
    const id = await surveyId(db.models);
    const before = await db.models.Response.countDocuments({ survey: id });
    await db.close();
    const admin = /(admin@minyi\.demo)\s+(\S+)/.exec(minyi.output());
    if (!admin) throw new Error(`Minyi printed no demo sign-in:\n${minyi.output()}`);
    const cookie = await signIn(minyi.url, admin[1]!, admin[2]!);
    const client = new ResidentClient(target(minyi.url), residents);
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
    const slowest = Math.max(0, ...stats.unavailable.map((u) => u.ms));
    check('restart: votes refused with 503 and Retry-After within 5 s', stats.unavailable.length > 0 && slowest < 5000 && stats.unavailable.every((u) => u.retryAfter !== undefined), `${stats.unavailable.length} posts answered 503, slowest ${slowest.toFixed(0)} ms, all with Retry-After: ${stats.unavailable.every((u) => u.retryAfter !== undefined)}`);
    const health = await fetch(`${minyi.url}/healthz`);
    check('restart: Minyi reconnected by itself and stayed up', health.status === 200 && minyi.child.exitCode === null, `/healthz ${health.status}`);
    const after = await openDatabase(minyi);
    try {
      const recovered = await settled(after.models, 180);
      check('restart: votes left pending were counted', recovered, recovered ? 'no pending markers left' : 'pending markers remain after 180 s');
      await reconcile(after.models, id, stats, before, 'restart');
    } finally {
      await after.close();
    }
  } finally {
    await minyi.stop();
  }
}

async function shutdown(residents: number): Promise<void> {
  log(`\n── SIGTERM under load: ${residents} residents, SIGTERM after 8 s ──`);
  const minyi = await start();
  try {
    const first = await openDatabase(minyi);
    const id = await surveyId(first.models);
    const before = await first.models.Response.countDocuments({ survey: id });
    await first.close();
    const client = new ResidentClient(target(minyi.url), residents);
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
    const after = await openDatabase(minyi);
    try {
      const pending = await after.models.TallyPending.countDocuments();
      check('shutdown: no vote left pending', pending === 0, `${pending} pending markers`);
      await reconcile(after.models, id, stats, before, 'shutdown');
    } finally {
      await after.close();
    }
  } finally {
    await minyi.stop();
  }
}

async function main(): Promise<number> {
  const { votes, residents, only } = parseArgs();
  log(`bench:pressure · Node ${process.version} · ${os.cpus().length} cores · ${only.has('load') ? `load ${votes} votes, ` : ''}${residents} residents`);
  if (only.has('load')) await load(votes, residents);
  if (only.has('restart')) await restart(Math.min(residents, 50));
  if (only.has('shutdown')) await shutdown(Math.min(residents, 50));
  const failed = checks.filter((c) => !c.ok);
  log(`\n${checks.length - failed.length} of ${checks.length} checks hold${failed.length > 0 ? `; failed: ${failed.map((c) => c.name).join('; ')}` : ''}`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:pressure failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
