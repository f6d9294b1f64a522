/**
 * Advice POST stored as a case, next to the vote POST measured in the same rounds (both Minyi, both stored):
 * the advice box should cost no more than a vote. Afterwards every accepted advice post must be stored once.
 */
import { createHmac } from 'node:crypto';
import type autocannon from 'autocannon';
import type { Bureau } from '../../server/models/bureau.model.js';
import { codeForSubmission } from '../../server/services/advice/tracking-codes.js';
import { normalizeCode } from '../../server/services/voting/invitation-codes.js';
import { FormTokens } from '../../server/services/voting/form-token.js';
import { median, ratios, type Figure, type Measurement } from '../lib/figures.js';
import { cpuPer, settleVotes, type BenchContext } from '../lib/bench-context.js';
import { BENCH_SECRET } from '../lib/minyi-process.js';
import { runAutocannon } from '../lib/run-autocannon.js';
import { formPost, VoteRequests } from '../lib/vote-requests.js';
import { measurement, trouble } from './survey-page.js';

const TEXTS = ['小区车棚的电动车被偷了，希望加装监控。', '学校门口早上堵车严重，希望增派交警。', '广场舞音响太吵，晚上九点后还在跳。', 'More patrols near the bus station at night, please.', '办理居住证排队太久，希望增加网上预约。'];

/** Advice posts for autocannon: each a new browser with its own CSRF cookie, form token and address. */
class AdviceRequests {
  readonly sent = new Set<string>();
  readonly answered = new Map<string, number>();

  constructor(
    private readonly tokens: FormTokens,
    private readonly bureau: Bureau,
  ) {}

  request(): autocannon.Request {
    const { tokens, bureau, sent, answered } = this;
    const path = `/b/${bureau.slug}/advice`;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
    return {
      method: 'POST',
      path,
      setupRequest(request, context) {
        const csrf = tokens.newCsrfCookie();
        const submissionId = tokens.newSubmissionId();
        const body = new URLSearchParams({
          _form: tokens.issue(`advice:${String(bureau._id)}`, csrf, submissionId),
          website: '',
          category: pick(bureau.adviceCategories).id,
          district: pick(bureau.districts).id,
          text: pick(TEXTS),
          publish: Math.random() < 0.6 ? 'yes' : 'no',
        }).toString();
        (context as { submissionId?: string }).submissionId = submissionId;
        sent.add(submissionId);
        return formPost(request, path, body, csrf);
      },
      onResponse(status, _body, context) {
        const id = (context as { submissionId?: string }).submissionId;
        if (id !== undefined) answered.set(id, status);
      },
    };
  }
}

/** The case id Minyi gives a submission (advice-box.service.ts): keyed hash of its tracking code. */
const caseIdFor = (submissionId: string) => createHmac('sha256', BENCH_SECRET).update(`advice-id:${normalizeCode(codeForSubmission(BENCH_SECRET, submissionId))}`).digest('hex').slice(0, 20);

export async function measureAdvicePost(ctx: BenchContext): Promise<Figure[]> {
  const { connections, duration, rounds } = ctx.options;
  const { survey, path } = ctx.target;
  const bureau = await ctx.models.Bureau.findById(ctx.target.bureau._id).lean<Bureau>();
  if (!bureau || bureau.adviceCategories.length === 0) throw new Error('the demo bureau has no advice categories');
  const tokens = new FormTokens(BENCH_SECRET);
  const votes = new VoteRequests(tokens, { path, surveyId: String(survey._id), questions: survey.questions, districtIds: bureau.districts.map((d) => d.id) });
  const advice = new AdviceRequests(tokens, bureau);
  const votePosts: Measurement[] = [];
  const advicePosts: Measurement[] = [];
  const problems: string[] = [];
  const cpu: string[] = [];
  ctx.log(`advice POST: warming up, then ${rounds} rounds of ${duration} s of vote posts and advice posts with ${connections} connections`);
  await runAutocannon({ url: ctx.minyi().url, request: advice.request(), expectStatus: 303, connections, amount: connections * 10 });
  for (let round = 1; round <= rounds; round += 1) {
    const vote = await runAutocannon({ url: ctx.minyi().url, request: votes.request(), expectStatus: 303, connections, duration });
    votePosts.push(measurement(vote));
    problems.push(...trouble(`vote round ${round}`, vote));
    // The votes' tally work must not be charged to the advice posts.
    await settleVotes(ctx.models, survey._id);
    const { result: run, ms: [minyiMs, databaseMs] } = await cpuPer([ctx.minyi().child.pid, ctx.db.pid()], () => runAutocannon({ url: ctx.minyi().url, request: advice.request(), expectStatus: 303, connections, duration }), (r) => r.responses);
    advicePosts.push(measurement(run));
    problems.push(...trouble(`advice round ${round}`, run));
    cpu.push(`${minyiMs!.toFixed(2)} + ${databaseMs!.toFixed(2)}`);
    ctx.log(`  round ${round}: vote ${vote.requestsPerSecond.toFixed(0)}/s p99 ${vote.latency.p99} ms · advice ${run.requestsPerSecond.toFixed(0)}/s p99 ${run.latency.p99} ms · CPU per advice post: Minyi ${minyiMs!.toFixed(2)} ms + FerretDB ${databaseMs!.toFixed(2)} ms`);
  }

  const accepted = [...advice.answered].filter(([, status]) => status === 303).map(([id]) => caseIdFor(id));
  const stored = new Set((await ctx.models.AdviceItem.find({ _id: { $in: accepted } }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((item) => item._id));
  const missing = accepted.filter((id) => !stored.has(id)).length;
  const figure: Figure = { name: 'advice POST, stored as a case', unit: 'posts/s', minyi: advicePosts, baseline: { label: 'vote POST (Minyi, same rounds)', rounds: votePosts } };
  figure.goal = { text: '≥ 0.80× the vote POST', met: missing === 0 && problems.length === 0 && median(ratios(figure)) >= 0.8 };
  figure.note = [`CPU ms per advice post (Minyi + FerretDB) by round: ${cpu.join(', ')}`, `${missing === 0 ? 'consistent' : 'INCONSISTENT'}: ${accepted.length} accepted advice posts, ${missing} not stored`, ...problems].join('; ');
  return [figure];
}
