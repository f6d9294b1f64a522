/** Survey page GET: Minyi next to a bare Express handler sending the same page as a fixed string, and a bare Handlebars render. */
import { median, ratios, type Figure, type Measurement } from '../lib/figures.js';
import { cpuPer, type BenchContext } from '../lib/bench-context.js';
import { runAutocannon, type LoadSummary } from '../lib/run-autocannon.js';

export const measurement = (s: LoadSummary): Measurement => ({ rate: s.requestsPerSecond, p50: s.latency.p50, p99: s.latency.p99 });

/** Unexpected statuses and connection errors of a run, in words, for the figure's note. */
export const trouble = (label: string, s: LoadSummary) =>
  s.unexpectedTotal + s.errors + s.timeouts > 0 ? [`${label}: ${s.unexpectedTotal} unexpected (${JSON.stringify(s.unexpected)}), ${s.errors} errors, ${s.timeouts} timeouts; first: ${s.firstUnexpected?.body.replace(/\s+/g, ' ').slice(0, 200) ?? ''}`] : [];

export async function measureSurveyPage(ctx: BenchContext): Promise<Figure[]> {
  const { connections, duration, rounds } = ctx.options;
  const request = { method: 'GET' as const, path: `${ctx.target.path}?lang=zh-CN`, headers: { accept: 'text/html' } };
  const targets = { static: ctx.baselines.static, handlebars: ctx.baselines.handlebars, minyi: ctx.minyi().url };
  const pids = { static: ctx.baselinePid, handlebars: ctx.baselinePid, minyi: ctx.minyi().child.pid };
  const cpu: Record<keyof typeof targets, number[]> = { static: [], handlebars: [], minyi: [] };
  const runs: Record<keyof typeof targets, Measurement[]> = { static: [], handlebars: [], minyi: [] };
  const problems: string[] = [];
  ctx.log(`survey page GET: warming up, then ${rounds} rounds of ${duration} s per server with ${connections} connections`);
  for (const url of Object.values(targets)) await runAutocannon({ url, request, expectStatus: 200, connections, amount: connections * 40 });
  for (let round = 1; round <= rounds; round += 1) {
    for (const [name, url] of Object.entries(targets) as Array<[keyof typeof targets, string]>) {
      const { result: summary, ms: [cpuMs] } = await cpuPer([pids[name]], () => runAutocannon({ url, request, expectStatus: 200, connections, duration }), (s) => s.responses);
      runs[name].push(measurement(summary));
      cpu[name].push(cpuMs!);
      problems.push(...trouble(`${name} round ${round}`, summary));
      ctx.log(`  round ${round} ${name}: ${summary.requestsPerSecond.toFixed(0)} req/s, p99 ${summary.latency.p99} ms, ${cpuMs!.toFixed(3)} ms CPU per request`);
    }
  }
  const versusStatic: Figure = { name: 'survey page GET', unit: 'req/s', minyi: runs.minyi, baseline: { label: 'bare Express, static string', rounds: runs.static } };
  versusStatic.goal = { text: '≥ 0.90× static string', met: problems.length === 0 && median(ratios(versusStatic)) >= 0.9 };
  const versusHandlebars: Figure = { name: 'survey page GET', unit: 'req/s', minyi: runs.minyi, baseline: { label: 'bare Express + Handlebars render', rounds: runs.handlebars } };
  const perRequest = (name: keyof typeof cpu) => `${name} ${median(cpu[name]).toFixed(3)}`;
  versusStatic.note = [`median CPU ms per request: ${perRequest('minyi')}, ${perRequest('static')}, ${perRequest('handlebars')}`, ...problems].join('; ');
  return [versusStatic, versusHandlebars];
}
