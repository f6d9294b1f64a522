/** The flags every benchmark takes: `--duration <seconds>` and `--connections <n>`. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Seconds each measured scenario runs. */
  duration: number;
  /** Concurrent keep-alive connections autocannon keeps busy. */
  connections: number;
}

export function parseBenchOptions(argv: string[] = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
    },
    strict: true,
  });
  const whole = (name: string, raw: string | undefined, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
    return n;
  };
  return {
    duration: whole('duration', values.duration, 1, 3600),
    connections: whole('connections', values.connections, 1, 10_000),
  };
}
