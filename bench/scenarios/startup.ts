/**
 * Start-up to the first served page with the database already running: Minyi restarted on its database, next
 * to a bare Express process started the same way.
 */
import { spawn } from 'node:child_process';
import { findFreePort } from '../../server/db/free-port.js';
import { projectRoot } from '../../server/paths.js';
import { median, type Figure, type Measurement } from '../lib/figures.js';
import type { BenchContext } from '../lib/bench-context.js';
import { pinToCore } from '../lib/minyi-process.js';

const BARE_APP = `import express from 'express';
const app = express();
app.get('/', (req, res) => res.send('ok'));
app.listen(Number(process.env.PORT), '127.0.0.1');`;

const asMeasurement = (ms: number): Measurement => ({ rate: ms, p50: Number.NaN, p99: Number.NaN });

/** Milliseconds from spawning a bare Express app to its first answer. */
async function bareStartup(core: number): Promise<number> {
  const port = await findFreePort('127.0.0.1');
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', BARE_APP], { cwd: projectRoot(), env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  if (child.pid) pinToCore(child.pid, core);
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
      if (ok) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    child.kill();
  }
}

export async function measureStartup(ctx: BenchContext, firstStartMs: number): Promise<Figure[]> {
  const bare: Measurement[] = [];
  const minyi: Measurement[] = [];
  ctx.log(`start-up: ${ctx.options.rounds} restarts of Minyi on its running database, and of a bare Express app`);
  for (let round = 1; round <= ctx.options.rounds; round += 1) {
    bare.push(asMeasurement(await bareStartup(0)));
    minyi.push(asMeasurement((await ctx.restartMinyi()).startupMs));
    ctx.log(`  round ${round}: bare ${bare.at(-1)!.rate.toFixed(0)} ms · Minyi ${minyi.at(-1)!.rate.toFixed(0)} ms`);
  }
  const figure: Figure = {
    name: 'start-up to first page, database running',
    unit: 'ms',
    minyi,
    baseline: { label: 'bare Express process', rounds: bare },
    goal: { text: '< 1,500 ms', met: median(minyi.map((m) => m.rate)) < 1500 },
    note: `the first start, on an empty database, took ${firstStartMs.toFixed(0)} ms (it loads the demo data)`,
  };
  return [figure];
}
