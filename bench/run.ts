/**
 * `npm run bench`: Minyi's speed, each figure next to a baseline measured in the same run, as one table.
 * Minyi and its embedded FerretDB run on core 0, the baselines beside them, the load generator (this process)
 * on core 1, where `taskset` and two cores exist. Each figure is measured in `--rounds` rounds, the baseline
 * right before Minyi in each round; the table gives medians and the spread. See bench/README.md.
 *
 *   npm run bench                                   # everything: about 25 minutes (a million responses take 7 to add)
 *   npm run bench -- --only page,vote --rounds 3 --duration 5
 *   npm run bench -- --only residents --profile residents   # with a CPU profile of Minyi during that part
 *   npm run bench -- --only dashboard --data-dir .cache/bench-db   # keeps the database (and its million responses) for the next run
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { createModels } from '../server/models/index.js';
import { projectRoot } from '../server/paths.js';
import type { BaselineFixture, BaselineUrls } from './baseline-server.js';
import { findTarget, type BenchContext, type BenchOptions } from './lib/bench-context.js';
import { summarizeProfile } from './lib/cpu-profile.js';
import { figuresTable, type Figure } from './lib/figures.js';
import { BENCH_SECRET, canPin, pinToCore, spawnMinyi, startBenchDatabase, type MinyiProcess } from './lib/minyi-process.js';
import { measureAdvicePost } from './scenarios/advice-post.js';
import { measureConcerns } from './scenarios/concerns.js';
import { measureDashboard } from './scenarios/dashboard.js';
import { measureResidents } from './scenarios/residents.js';
import { measureStartup } from './scenarios/startup.js';
import { measureSurveyPage } from './scenarios/survey-page.js';
import { measureVotePost } from './scenarios/vote-post.js';

const SCENARIOS = ['startup', 'page', 'vote', 'advice', 'residents', 'concerns', 'dashboard'] as const;
type Scenario = (typeof SCENARIOS)[number];
const MINYI_CORE = 0;
const LOAD_CORE = 1;

const log = (line = '') => process.stdout.write(`${line}\n`);

function options(argv = process.argv.slice(2)): BenchOptions & { only: Set<Scenario>; profile: Scenario | undefined; dataDir: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      'resident-seconds': { type: 'string', default: '20' },
      'dashboard-sizes': { type: 'string', default: '10000,1000000' },
      only: { type: 'string', default: SCENARIOS.join(',') },
      profile: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const whole = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
    return n;
  };
  const scenarios = (raw: string, flag: string) =>
    raw.split(',').map((name) => {
      if (!SCENARIOS.includes(name as Scenario)) throw new Error(`--${flag} takes ${SCENARIOS.join(', ')}, not "${name}"`);
      return name as Scenario;
    });
  const sizes = values['dashboard-sizes'].split(',').map((s) => whole('dashboard-sizes', s, 1000, 10_000_000));
  if (sizes.some((s, i) => i > 0 && s <= sizes[i - 1]!)) throw new Error('--dashboard-sizes must grow');
  return {
    rounds: whole('rounds', values.rounds, 1, 20),
    duration: whole('duration', values.duration, 1, 600),
    connections: whole('connections', values.connections, 1, 1000),
    residentSeconds: whole('resident-seconds', values['resident-seconds'], 1, 600),
    dashboardSizes: sizes,
    only: new Set(scenarios(values.only, 'only')),
    profile: values.profile === undefined ? undefined : scenarios(values.profile, 'profile')[0],
    dataDir: values['data-dir'],
  };
}

/** Starts the baselines' process beside Minyi and waits for its addresses. */
async function startBaselines(fixture: BaselineFixture): Promise<{ urls: BaselineUrls; pid: number | undefined; stop(): void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minyi-baseline-'));
  const file = path.join(dir, 'fixture.json');
  writeFileSync(file, JSON.stringify(fixture));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot(), 'bench', 'baseline-server.ts'), file], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.pid) pinToCore(child.pid, MINYI_CORE);
  const urls = await new Promise<BaselineUrls>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^ready (.+)$/m.exec(output);
      if (ready) resolve(JSON.parse(ready[1]!) as BaselineUrls);
    });
    child.once('exit', (code) => reject(new Error(`the baseline server exited (${code}): ${output}`)));
  });
  return {
    urls,
    pid: child.pid,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<number> {
  const opts = options();
  log(`npm run bench · Node ${process.version} · ${os.cpus().length} cores · ${canPin ? `Minyi and FerretDB on core ${MINYI_CORE}, load generator on core ${LOAD_CORE}` : 'no taskset: processes not pinned'} · ${opts.rounds} rounds · load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const db = await startBenchDatabase({ core: MINYI_CORE, keepIn: opts.dataDir });
  let minyi: MinyiProcess | undefined;
  let baselines: Awaited<ReturnType<typeof startBaselines>> | undefined;
  const connection = await mongoose.createConnection(db.database.uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'minyi-profile-'));
  try {
    minyi = await spawnMinyi(db, { core: MINYI_CORE });
    const firstStartMs = minyi.startupMs;
    pinToCore(process.pid, LOAD_CORE);
    const models = createModels(connection);
    const target = await findTarget(models, 'huzhou-police', 'top-public-security-concerns');
    const page = await fetch(`${minyi.url}${target.path}?lang=zh-CN`).then((r) => r.text());
    const token = /name="_form" value="([^"]+)"/.exec(page)?.[1];
    if (!token) throw new Error('the survey page has no form token');
    baselines = await startBaselines({ secret: BENCH_SECRET, bureau: target.bureau, survey: target.survey, minyiPage: page, minyiToken: token });
    const ctx: BenchContext = {
      options: opts,
      db,
      minyi: () => minyi!,
      async restartMinyi(nodeArgs) {
        await minyi!.stop();
        minyi = await spawnMinyi(db, { core: MINYI_CORE, nodeArgs });
        return minyi;
      },
      models,
      baselines: baselines.urls,
      baselinePid: baselines.pid,
      target,
      log: (line = '') => log(line),
    };
    log(`Minyi at ${minyi.url} (first start ${firstStartMs.toFixed(0)} ms), baselines at ${Object.values(baselines.urls).join(', ')}`);

    const figures: Figure[] = [];
    let profile: string | undefined;
    const failures: string[] = [];
    const run = async (scenario: Scenario, measure: () => Promise<Figure[]>) => {
      if (!opts.only.has(scenario)) return;
      log();
      if (opts.profile === scenario) await ctx.restartMinyi(['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
      try {
        figures.push(...(await measure()));
      } catch (error) {
        // One part failing must not throw away the figures of the others.
        const minyiSaid = minyi!.output().trim().split('\n').slice(-20).join('\n');
        failures.push(`${scenario}: ${(error as Error).stack ?? String(error)}\nMinyi's last log lines:\n${minyiSaid || '(none)'}`);
        log(`${scenario} FAILED: ${(error as Error).message}`);
      }
      if (opts.profile === scenario) {
        await ctx.restartMinyi();
        profile = readdirSync(profileDir).map((f) => path.join(profileDir, f))[0];
      }
    };
    await run('startup', () => measureStartup(ctx, firstStartMs));
    await run('page', () => measureSurveyPage(ctx));
    await run('vote', () => measureVotePost(ctx));
    await run('advice', () => measureAdvicePost(ctx));
    await run('residents', async () => [...(await measureResidents(ctx, 10)), ...(await measureResidents(ctx, 50))]);
    // Before the dashboard's million responses: FerretDB reads every response for a bureau's survey texts.
    await run('concerns', () => measureConcerns(ctx));
    await run('dashboard', () => measureDashboard(ctx));

    log();
    log(figuresTable(figures));
    log();
    for (const figure of figures) if (figure.note) log(`- ${figure.name} (${figure.baseline?.label ?? 'no baseline'}): ${figure.note}`);
    if (profile) {
      log();
      log(`CPU profile of Minyi during "${opts.profile}":`);
      log(summarizeProfile(profile));
    }
    // Minyi logs at warn here: anything it said is worth reading next to the figures.
    const minyiSaid = minyi.output().split('\n').filter((line) => line.startsWith('{')).slice(-10);
    if (minyiSaid.length > 0) log(`\nMinyi's last warnings:\n${minyiSaid.join('\n')}`);
    log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    for (const failure of failures) log(`\nFAILED ${failure}`);
    return failures.length === 0 && figures.every((f) => !f.note?.includes('INCONSISTENT') && !f.note?.includes('FAILED')) ? 0 : 1;
  } finally {
    baselines?.stop();
    await minyi?.stop();
    await connection.close();
    await db.stop();
    rmSync(profileDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
