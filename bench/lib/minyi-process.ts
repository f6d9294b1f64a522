/**
 * Minyi as a separate process, compiled and with `npm start`'s node flags, on an embedded FerretDB that the script owns, so
 * a script can kill and restart the database under Minyi, restart Minyi on a running database, signal Minyi,
 * read its memory, and pin both to another core than the load generator.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureFerretdbBinary } from '../../server/db/ferretdb-binary.js';
import { startFerretdb } from '../../server/db/ferretdb-server.js';
import type { RunningDatabase } from '../../server/db/running-database.js';
import { projectRoot } from '../../server/paths.js';

/** Fixed so the bench process can sign form tokens that Minyi accepts. */
export const BENCH_SECRET = 'minyi-bench-secret-0123456789-abcdefghij';

const HAS_TASKSET = (() => {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();

/** Whether processes can be pinned to cores here (taskset and at least two cores). */
export const canPin = HAS_TASKSET;

/** Pins a process and all its threads to one core; false where taskset or a second core is missing. */
export function pinToCore(pid: number, core: number): boolean {
  if (!HAS_TASKSET) return false;
  execFileSync('taskset', ['-a', '-pc', String(core), String(pid)], { stdio: 'ignore' });
  return true;
}

/** Lets a process and all its threads run on every core again (children inherit it). */
export function unpin(pid: number): boolean {
  if (!HAS_TASKSET) return false;
  execFileSync('taskset', ['-a', '-pc', `0-${os.cpus().length - 1}`, String(pid)], { stdio: 'ignore' });
  return true;
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux /proc). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export interface BenchDatabase {
  database: RunningDatabase;
  /** The FerretDB process, for pinning and CPU time. */
  pid(): number | undefined;
  /** Folder for Minyi's data (its secret) beside the database's files. */
  dataDir: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts FerretDB in a temporary folder, pinned to `core` when given; or in `keepIn`, which is kept when it
 * stops, so a later run finds the same data (a million generated responses take minutes to add).
 */
export async function startBenchDatabase(options: { core?: number; keepIn?: string } = {}): Promise<BenchDatabase> {
  const dataDir = options.keepIn ? path.resolve(options.keepIn) : await mkdtemp(path.join(os.tmpdir(), 'minyi-bench-'));
  if (options.keepIn) await mkdir(dataDir, { recursive: true });
  const database = await startFerretdb({ binary: await ensureFerretdbBinary(), dataPath: path.join(dataDir, 'ferretdb'), databaseName: 'minyi' });
  // Found by its data folder, which only its command line names: several databases may run at once.
  const pid = () => findChildPid(dataDir);
  const pin = () => {
    const found = pid();
    if (options.core !== undefined && found) pinToCore(found, options.core);
  };
  pin();
  let stopped: Promise<void> | undefined;
  return {
    database,
    pid,
    dataDir,
    kill: () => database.kill!(),
    async restart() {
      await database.restart!();
      pin();
    },
    stop: () =>
      (stopped ??= (async () => {
        await database.stop();
        if (!options.keepIn) await rm(dataDir, { recursive: true, force: true });
      })()),
  };
}

export interface MinyiProcess {
  url: string;
  child: ChildProcess;
  /** Milliseconds from spawning the process to its first served page. */
  startupMs: number;
  /** Everything Minyi printed. */
  output(): string;
  /** Resident set size of the Minyi process, in MB (Linux). */
  rssMb(): number;
  /** Resolves with Minyi's exit code once it has exited. */
  exited: Promise<number | null>;
  /** Stops Minyi (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

let built = false;
/** Compiles Minyi once per run, so it runs as in production: plain JavaScript from dist/. */
function buildOnce(): void {
  if (built) return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot(), stdio: 'inherit' });
  built = true;
}

export interface MinyiProcessOptions {
  /** Core for Minyi and its database; the caller pins itself elsewhere. */
  core?: number;
  env?: Record<string, string>;
  /** Extra node flags before npm start's, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Port to listen on (a restarted process takes its predecessor's); a free one when absent. */
  port?: number;
}

/** Starts Minyi on a running bench database with the demo data; resolves once it has served its home page. */
export async function spawnMinyi(db: BenchDatabase, options: MinyiProcessOptions = {}): Promise<MinyiProcess> {
  buildOnce();
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...startArguments()], {
    cwd: projectRoot(),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MONGODB_URI: db.database.uri,
      MINYI_DATA_DIR: db.dataDir,
      MINYI_SECRET: BENCH_SECRET,
      MINYI_DEMO_DATA: 'true',
      // Simulated residents post the moment they get the form, each from its own address (X-Forwarded-For).
      MINYI_MIN_FILL_SECONDS: '0',
      MINYI_TRUST_PROXY: 'loopback',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (options.core !== undefined && child.pid) pinToCore(child.pid, options.core);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let startupMs: number;
  try {
    startupMs = (await firstPage(url, exited, () => output)) - spawnedAt;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    url,
    child,
    startupMs,
    output: () => output,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    exited,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      })()),
  };
}

/** Minyi and the database it runs on, stopped together. */
export interface MinyiWithDatabase extends MinyiProcess {
  db: BenchDatabase;
  database: RunningDatabase;
}

/** Starts a bench database, then Minyi on it. */
export async function startMinyiProcess(options: MinyiProcessOptions = {}): Promise<MinyiWithDatabase> {
  const db = await startBenchDatabase({ core: options.core });
  try {
    const minyi = await spawnMinyi(db, options);
    return {
      ...minyi,
      db,
      database: db.database,
      async stop() {
        await minyi.stop();
        await db.stop();
      },
    };
  } catch (error) {
    await db.stop();
    throw error;
  }
}

/** Polls the home page until it answers 200; resolves with the moment it did (performance.now()). */
async function firstPage(url: string, exited: Promise<number | null>, output: () => string): Promise<number> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code ?? -1));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`Minyi exited (${exitCode}) before it served a page:\n${output()}`);
    const ok = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.arrayBuffer().then(() => response.status === 200),
      () => false,
    );
    if (ok) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Minyi served no page in 120 s:\n${output()}`);
}

async function freePort(): Promise<number> {
  const { findFreePort } = await import('../../server/db/free-port.js');
  return findFreePort('127.0.0.1');
}

/**
 * The node flags of `npm start` (package.json), so Minyi runs here with the same heap limits as for users, but
 * on the compiled server: `npm start` loads the TypeScript through tsx, whose loader thread would blur memory
 * and start-up figures, while production runs dist/server/main.js.
 */
function startArguments(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  if (command !== 'node' || args.at(-1) !== 'server/main.ts') throw new Error(`npm start runs "${pkg.scripts.start}", not node … server/main.ts`);
  const flags = args.slice(0, -1).filter((arg, i, all) => arg !== '--import' && all[i - 1] !== '--import');
  return [...flags, 'dist/server/main.js'];
}

/** The pid of this process's newest child whose command line contains `name` (Linux /proc). */
function findChildPid(name: string): number | undefined {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.reverse().find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
    } catch {
      return false;
    }
  });
}
