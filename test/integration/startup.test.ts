/** Runs `server/main.ts` as a real process: start-up banner, serving, Ctrl-C, and data surviving a restart. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../server/paths.js';
import { portOpen } from '../utils/net.js';
import { scaled } from '../utils/time.js';

interface Running {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/** Every Minyi this file started that may still run: a failed test stops them (and their database) in afterEach. */
const started = new Set<ChildProcess>();

/** The node arguments of `npm start`, so this test starts Minyi exactly as a person does (without npm itself). */
function npmStartArguments(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.prestart, 'npm start has no build step').toBeUndefined();
  const [command, ...args] = pkg.scripts.start!.split(/\s+/);
  expect(command).toBe('node');
  return args;
}

async function startMinyi(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, npmStartArguments(), {
    cwd: projectRoot(),
    // LOG_LEVEL=info: the demo data logs a JSON line during start-up, which must wait for the start-up text.
    env: { ...process.env, PORT: '0', MINYI_DATA_DIR: dataDir, LOG_LEVEL: 'info', MONGODB_URI: '', NODE_ENV: 'development', MINYI_SECRET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    // Compiling the server with tsx, building the demo data and hashing its passwords: minutes on a busy machine.
    const timer = setTimeout(() => reject(new Error(`no ready line after ${scaled(180_000)} ms in:\n${output}`)), scaled(180_000));
    const check = () => {
      const match = /ready at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
  return { child, output: () => output, url };
}

const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

/** SIGTERM, not SIGKILL: Minyi then stops its embedded database too. */
const stopAll = () => Promise.all([...started].map((child) => (child.kill('SIGTERM'), exitOf(child))));
afterEach(stopAll);

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(condition()).toBe(true);
}

describe('npm start', () => {
  it('prints its database, serves demo data, stops cleanly on Ctrl-C, and keeps data across a restart', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'minyi-start-'));
    try {
      await startStopRestart(dataDir);
    } finally {
      await stopAll();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, scaled(420_000));

  async function startStopRestart(dataDir: string): Promise<void> {
    const first = await startMinyi(dataDir);
    expect(first.output()).toMatch(/Database: (FerretDB 1\.24 \(SQLite\)|mongod).*data in /);
    expect(first.output()).toContain(dataDir);
    expect(first.output()).toContain('Demo data: loaded');
    expect(first.output()).toContain('Secret: generated');
    // Start-up text is plain lines; the JSON logs follow it.
    const startupText = (output: string) => output.slice(0, output.indexOf('ready at'));
    expect(startupText(first.output())).not.toMatch(/^\{/m);
    await waitFor(() => /^\{.*"msg":"started"/m.test(first.output()));
    const home = await fetch(`${first.url}/?lang=en`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Huzhou Municipal Public Security Bureau');
    const dbPort = Number(/(?:127\.0\.0\.1|localhost):(\d+)/.exec(first.output().split('\n').find((l) => l.startsWith('Database:'))!)![1]);

    first.child.kill('SIGINT');
    expect(await exitOf(first.child)).toBe(0);
    expect(first.output()).toContain('Minyi stopped.');
    expect(await portOpen('127.0.0.1', dbPort)).toBe(false);

    const second = await startMinyi(dataDir);
    try {
      expect(second.output()).not.toContain('Demo data: loaded');
      expect(second.output()).not.toContain('Secret: generated');
      expect(second.output()).toContain(`Secret: read from ${dataDir}`);
      expect(startupText(second.output())).not.toMatch(/^\{/m);
      const again = await fetch(`${second.url}/?lang=en`);
      expect(await again.text()).toContain('Huzhou Municipal Public Security Bureau');
    } finally {
      second.child.kill('SIGTERM');
      expect(await exitOf(second.child)).toBe(0);
    }
  }

  it('stops with a message naming the setting when the configuration is wrong', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: projectRoot(),
      env: { ...process.env, PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toBe(1);
    expect(stderr).toContain('Setting PORT must be a whole number');
    expect(stderr).not.toMatch(/\n\s+at /);
  }, scaled(60_000));
});
