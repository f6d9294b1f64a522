/** Runs FerretDB on its SQLite backend as a child process on a free loopback port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { findFreePort, waitForPort } from './free-port.js';
import type { RunningDatabase } from './running-database.js';

const HOST = '127.0.0.1';

export interface FerretdbOptions {
  binary: string;
  dataPath: string;
  databaseName: string;
  log?: (message: string) => void;
}

export async function startFerretdb(options: FerretdbOptions): Promise<RunningDatabase> {
  mkdirSync(options.dataPath, { recursive: true });
  const port = await findFreePort(HOST);
  let child: ChildProcess | undefined;
  let stderrTail = '';

  const launch = async () => {
    const proc = spawn(
      options.binary,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${options.dataPath}/`,
        `--listen-addr=${HOST}:${port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        `--state-dir=${options.dataPath}`,
        '--log-level=error',
        '--log-format=text',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FERRETDB_TELEMETRY: 'disable' } },
    );
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    child = proc;
    try {
      await waitForPort(port, HOST, 20_000, () => proc.exitCode === null && proc.signalCode === null);
    } catch (error) {
      proc.kill('SIGKILL');
      throw new Error(`FerretDB did not start: ${(error as Error).message}. ${stderrTail.trim()}`);
    }
  };

  const terminate = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      // A paused server would never see the SIGTERM.
      proc.kill('SIGCONT');
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill(signal);
    });

  await launch();
  // A crashed parent must not leave FerretDB running: stop it when this process exits for any reason.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  return {
    kind: 'ferretdb',
    uri: `mongodb://${HOST}:${port}/${options.databaseName}`,
    description: `FerretDB 1.24 (SQLite) on ${HOST}:${port}, data in ${options.dataPath}`,
    dataPath: options.dataPath,
    async stop() {
      process.removeListener('exit', killOnExit);
      await terminate('SIGTERM');
    },
    async kill() {
      await terminate('SIGKILL');
    },
    async restart() {
      await terminate('SIGTERM');
      await launch();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}
