/**
 * Completed votes end to end: closed loops of simulated residents (bench/lib/residents.ts), each vote a new
 * browser that GETs the survey, echoes its hidden fields, POSTs an answer to every question and reads its
 * receipt; next to the same loop against the bare baseline. Afterwards stored must equal completed.
 */
import type { Question } from '../../server/models/survey-definition.types.js';
import { median, percentile, type Figure, type Measurement } from '../lib/figures.js';
import { cpuPer, settleVotes, type BenchContext } from '../lib/bench-context.js';
import { ResidentClient, runResidents, type ResidentStats } from '../lib/residents.js';

const measurement = (stats: ResidentStats & { seconds: number }): Measurement => ({ rate: stats.completed / stats.seconds, p50: percentile(stats.cycleMs, 50), p99: percentile(stats.cycleMs, 99) });

export async function measureResidents(ctx: BenchContext, residents: number): Promise<Figure[]> {
  const { rounds, residentSeconds } = ctx.options;
  const { survey, bureau, path } = ctx.target;
  const target = (url: string) => ({ url, path, questions: survey.questions as readonly Question[], districtIds: bureau.districts.map((d) => d.id) });
  const bareClient = new ResidentClient(target(ctx.baselines.resident), residents);
  const minyiClient = new ResidentClient(target(ctx.minyi().url), residents);
  const storedBefore = await settleVotes(ctx.models, survey._id);
  const bare: Measurement[] = [];
  const minyi: Measurement[] = [];
  let acknowledged = 0;
  let unknown = 0;
  const problems = new Map<string, number>();
  const cpu: string[] = [];
  ctx.log(`residents end to end: ${residents} residents, warming up, then ${rounds} rounds of ${residentSeconds} s per server`);
  await runResidents(bareClient, { residents, seconds: 3 });
  const warm = await runResidents(minyiClient, { residents, seconds: 3 });
  acknowledged += warm.receipts.size;
  unknown += warm.unknownOutcome;
  for (let round = 1; round <= rounds; round += 1) {
    const { result: b, ms: [bareMs] } = await cpuPer([ctx.baselinePid], () => runResidents(bareClient, { residents, seconds: residentSeconds }), (r) => r.completed);
    bare.push(measurement(b));
    const { result: m, ms: [minyiMs, databaseMs] } = await cpuPer([ctx.minyi().child.pid, ctx.db.pid()], () => runResidents(minyiClient, { residents, seconds: residentSeconds }), (r) => r.completed);
    cpu.push(`${minyiMs!.toFixed(2)} + ${databaseMs!.toFixed(2)} (bare ${bareMs!.toFixed(2)})`);
    minyi.push(measurement(m));
    acknowledged += m.receipts.size;
    unknown += m.unknownOutcome;
    for (const [what, n] of [...b.problems, ...m.problems]) problems.set(what, (problems.get(what) ?? 0) + n);
    ctx.log(`  round ${round}: bare ${measurement(b).rate.toFixed(0)}/s p99 ${measurement(b).p99.toFixed(0)} ms · Minyi ${measurement(m).rate.toFixed(0)}/s p99 ${measurement(m).p99.toFixed(0)} ms · CPU ms per vote: Minyi + FerretDB ${cpu.at(-1)}`);
  }
  bareClient.close();
  minyiClient.close();
  const stored = (await settleVotes(ctx.models, survey._id)) - storedBefore;
  const consistent = stored >= acknowledged && stored <= acknowledged + unknown;
  ctx.log(`  ${consistent ? 'ok  ' : 'FAIL'} stored ${stored} = acknowledged ${acknowledged} (+ ${unknown} posts that got no answer)`);
  const figure: Figure = { name: `completed votes, ${residents} residents`, unit: 'votes/s', minyi, baseline: { label: 'same loop, bare Express', rounds: bare } };
  if (residents === 10) {
    figure.goal = { text: '≥ 1,000 votes/s, p99 < 100 ms', met: consistent && problems.size === 0 && median(minyi.map((m) => m.rate)) >= 1000 && median(minyi.map((m) => m.p99)) < 100 };
  }
  figure.note = `CPU ms per completed vote (Minyi + FerretDB) by round: ${cpu.join(', ')}; stored ${stored} = acknowledged ${acknowledged}${unknown > 0 ? ` (+ ${unknown} unanswered)` : ''}: ${consistent ? 'ok' : 'FAILED'}${problems.size > 0 ? `; problems ${JSON.stringify(Object.fromEntries(problems))}` : ''}`;
  return [figure];
}
