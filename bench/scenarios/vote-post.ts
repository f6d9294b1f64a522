/**
 * Vote POST stored in the database with tallies updated: Minyi next to a bare Express handler that parses,
 * token-checks and validates the same form without a database. Afterwards every accepted vote must be stored
 * exactly once and counted once in the tally.
 */
import { TallyService } from '../../server/services/tallies/tally.service.js';
import { FormTokens } from '../../server/services/voting/form-token.js';
import { median, ratios, type Figure, type Measurement } from '../lib/figures.js';
import { cpuPer, settleVotes, type BenchContext } from '../lib/bench-context.js';
import { BENCH_SECRET } from '../lib/minyi-process.js';
import { runAutocannon } from '../lib/run-autocannon.js';
import { VoteRequests } from '../lib/vote-requests.js';
import { measurement, trouble } from './survey-page.js';

export async function measureVotePost(ctx: BenchContext): Promise<Figure[]> {
  const { connections, duration, rounds } = ctx.options;
  const { survey, bureau, path } = ctx.target;
  const tokens = new FormTokens(BENCH_SECRET);
  const target = { path, surveyId: String(survey._id), questions: survey.questions, districtIds: bureau.districts.map((d) => d.id) };
  const { Response } = ctx.models;
  const tallies = new TallyService(ctx.models);
  const storedBefore = await settleVotes(ctx.models, survey._id);
  const tallyBefore = (await tallies.get(survey._id)).total;

  const votes = new VoteRequests(tokens, target);
  const bare: Measurement[] = [];
  const minyi: Measurement[] = [];
  const problems: string[] = [];
  let accepted = 0;
  const cpu: string[] = [];
  ctx.log(`vote POST: warming up, then ${rounds} rounds of ${duration} s per server with ${connections} connections`);
  await runAutocannon({ url: ctx.baselines.resident, request: new VoteRequests(tokens, target).request(), expectStatus: 303, connections, amount: connections * 40 });
  const warmUp = await runAutocannon({ url: ctx.minyi().url, request: votes.request(), expectStatus: 303, connections, amount: connections * 10 });
  accepted += warmUp.expected;
  for (let round = 1; round <= rounds; round += 1) {
    const { result: baseline, ms: [bareMs] } = await cpuPer([ctx.baselinePid], () => runAutocannon({ url: ctx.baselines.resident, request: new VoteRequests(tokens, target).request(), expectStatus: 303, connections, duration }), (r) => r.responses);
    bare.push(measurement(baseline));
    problems.push(...trouble(`bare round ${round}`, baseline));
    const { result: run, ms: [minyiMs, databaseMs] } = await cpuPer([ctx.minyi().child.pid, ctx.db.pid()], () => runAutocannon({ url: ctx.minyi().url, request: votes.request(), expectStatus: 303, connections, duration }), (r) => r.responses);
    cpu.push(`${minyiMs!.toFixed(2)} + ${databaseMs!.toFixed(2)} (bare ${bareMs!.toFixed(2)})`);
    minyi.push(measurement(run));
    accepted += run.expected;
    problems.push(...trouble(`Minyi round ${round}`, run));
    ctx.log(`  round ${round}: bare ${baseline.requestsPerSecond.toFixed(0)}/s p99 ${baseline.latency.p99} ms · Minyi ${run.requestsPerSecond.toFixed(0)}/s p99 ${run.latency.p99} ms · CPU per vote: Minyi ${minyiMs!.toFixed(2)} ms + FerretDB ${databaseMs!.toFixed(2)} ms, bare ${bareMs!.toFixed(2)} ms`);
  }

  // autocannon cuts its connections when a run ends: those posts are stored but their 303 never counted.
  const stored = (await settleVotes(ctx.models, survey._id)) - storedBefore;
  const tallied = (await tallies.get(survey._id)).total - tallyBefore;
  const acceptedIds = votes.acceptedIds(303);
  const cutOff = new Set(votes.unanswered());
  const storedIds = new Set((await Response.find({ survey: survey._id }, { submissionId: 1, _id: 0 }).lean<Array<{ submissionId: string }>>()).map((r) => r.submissionId));
  const missing = [...acceptedIds].filter((id) => !storedIds.has(id)).length;
  const storedCutOff = [...cutOff].filter((id) => storedIds.has(id)).length;
  const checks: Array<[boolean, string]> = [
    [acceptedIds.size === accepted, `303s seen ${acceptedIds.size} = autocannon's ${accepted}`],
    [missing === 0, `accepted but not stored: ${missing}`],
    [stored === accepted + storedCutOff, `stored ${stored} = accepted ${accepted} + cut off in flight and stored ${storedCutOff}`],
    [tallied === stored, `tally total +${tallied} = stored +${stored}`],
  ];
  const consistent = checks.every(([ok]) => ok);
  for (const [ok, text] of checks) ctx.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  const figure: Figure = { name: 'vote POST, stored and tallied', unit: 'votes/s', minyi, baseline: { label: 'bare Express parse + validate', rounds: bare } };
  const p99 = median(minyi.map((m) => m.p99));
  figure.goal = { text: `≥ 0.40× bare, p99 < 100 ms at ${connections} connections`, met: consistent && problems.length === 0 && median(ratios(figure)) >= 0.4 && p99 < 100 };
  figure.note = [`CPU ms per vote (Minyi + FerretDB) by round: ${cpu.join(', ')}`, `${consistent ? 'consistent' : 'INCONSISTENT'}: ${checks.map(([, text]) => text).join('; ')}`, ...problems].join('; ');
  return [figure];
}
