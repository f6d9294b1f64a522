/**
 * Minyi as a separate process, the way `npm start` runs it, on an embedded FerretDB that this process owns, so
 * a script can kill and restart the database under Minyi, signal Minyi, read its memory, and pin the two to
 * different cores than the load generator.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureFerretdbBinary } from '../../server/db/ferretdb-binary.js';
import { startFerretdb } from '../../server/db/ferretdb-server.js';
import type { RunningDatabase } from '../../server/db/running-database.js';
import { projectRoot } from '../../server/paths.js';
import { BENCH_SECRET } from './start-minyi.js';

const HAS_TASKSET = (() => {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();

/** Pins a process and all its threads to one core; false where taskset or a second core is missing. */
export function pinToCore(pid: number, core: number): boolean {
  if (!HAS_TASKSET) return false;
  execFileSync('taskset', ['-a', '-pc', String(core), String(pid)], { stdio: 'ignore' });
  return true;
}

export interface MinyiProcess {
  url: string;
  child: ChildProcess;
  database: RunningDatabase;
  /** Everything Minyi printed. */
  output(): string;
  /** Resident set size of the Minyi process, in MB (Linux). */
  rssMb(): number;
  /** Resolves with Minyi's exit code once it has exited. */
  exited: Promise<number | null>;
  /** Kills the database (SIGKILL), as a crash would. */
  killDatabase(): Promise<void>;
  /** Starts the database again on the same port and files. */
  restartDatabase(): Promise<void>;
  /** Stops Minyi (SIGTERM) and the database, and removes the data folder. */
  stop(): Promise<void>;
}

let built = false;
/** Compiles Minyi once per run, so it runs as `npm start` runs it: plain JavaScript from dist/. */
function buildOnce(): void {
  if (built) return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot(), stdio: 'inherit' });
  built = true;
}

export interface MinyiProcessOptions {
  /** Core for Minyi and its database; the caller pins itself elsewhere. */
  core?: number;
  env?: Record<string, string>;
}

/** Starts FerretDB in a temporary folder, then Minyi on it with the demo data; resolves once Minyi is ready. */
export async function startMinyiProcess(options: MinyiProcessOptions = {}): Promise<MinyiProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minyi-pressure-'));
  const database = await startFerretdb({ binary: await ensureFerretdbBinary(), dataPath: path.join(dataDir, 'ferretdb'), databaseName: 'minyi' });
  const pinDatabase = () => {
    const pid = findChildPid('ferretdb');
    if (options.core !== undefined && pid) pinToCore(pid, options.core);
  };
  pinDatabase();
  buildOnce();
  const child = spawn(process.execPath, startArguments(), {
    cwd: projectRoot(),
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      MONGODB_URI: database.uri,
      MINYI_DATA_DIR: dataDir,
      MINYI_SECRET: BENCH_SECRET,
      MINYI_DEMO_DATA: 'true',
      MINYI_MIN_FILL_SECONDS: '0',
      MINYI_VOTE_RATE_LIMIT: '0',
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
  const cleanUp = async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Minyi printed no ready line in 120 s:\n${output}`)), 120_000);
      child.stdout!.on('data', () => {
        const match = /ready at (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`Minyi exited (${code}) before it was ready:\n${output}`)));
    });
  } catch (error) {
    child.kill('SIGKILL');
    await cleanUp();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    url,
    child,
    database,
    output: () => output,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    exited,
    killDatabase: () => database.kill!(),
    async restartDatabase() {
      await database.restart!();
      pinDatabase();
    },
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
        await cleanUp();
      })()),
  };
}

/** The node arguments of `npm start` (package.json), so Minyi runs here with the same flags as for users. */
function startArguments(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`npm start runs "${pkg.scripts.start}", not node`);
  return args;
}

/** The pid of this process's newest child whose command line names `name` (Linux /proc). */
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
