/**
 * A manager's results dashboard as one survey grows (to a million responses by default): unfiltered (from the
 * survey's tally), filtered by district and dates (from its day slices), filtered by an answer and a cross-tab
 * of district × a multiple-choice question (from the column store), each at the largest size next to the same
 * page at the smallest. Then voting on that survey alone and while 10 analysts reload those two views.
 * Responses are generated straight into the database (bench/generate-responses.ts).
 */
import { randomBytes } from 'node:crypto';
import { DatabaseHealth } from '../../server/db/database-health.js';
import { createLogger } from '../../server/logging/logger.js';
import type { Bureau } from '../../server/models/bureau.model.js';
import type { SurveyResponse } from '../../server/models/response.model.js';
import type { Survey } from '../../server/models/survey.model.js';
import { AccountService } from '../../server/services/accounts/account.service.js';
import { AuditLog } from '../../server/services/audit/audit-log.js';
import { KnownDevices } from '../../server/services/accounts/known-devices.js';
import { PasswordHasher } from '../../server/services/accounts/password-hasher.js';
import { PasswordPolicy } from '../../server/services/accounts/password-policy.js';
import { TallyService } from '../../server/services/tallies/tally.service.js';
import { TallyVerifier } from '../../server/services/tallies/tally-verifier.js';
import { RateLimiter } from '../../server/services/voting/rate-limiter.js';
import { Receipts } from '../../server/services/voting/receipt.js';
import { createResponseFactory, generateResponses } from '../generate-responses.js';
import { findTarget, type BenchContext } from '../lib/bench-context.js';
import { median, ratios, type Figure, type Measurement } from '../lib/figures.js';
import { BENCH_SECRET } from '../lib/minyi-process.js';
import { runAutocannon } from '../lib/run-autocannon.js';
import { FormTokens } from '../../server/services/voting/form-token.js';
import { VoteRequests } from '../lib/vote-requests.js';
import { signIn } from '../lib/staff-sign-in.js';
import { measurement, trouble } from './survey-page.js';

/** Another bureau's survey of the same template, so the vote scenarios do not add to it. */
const BUREAU = 'jinan-police';
const SURVEY = 'top-public-security-concerns';
const CONNECTIONS = 10;
const FILTER_DISTRICT = 'lixia';
/** Days 30 to 60 (counted from 0) of the 90-day window the responses span. */
const FILTER_DAYS = [30, 60] as const;

/** The number of responses a dashboard page shows; throws with the status when it shows none. */
async function shownTotal(url: string, cookie: string): Promise<number> {
  const response = await fetch(url, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
  const body = await response.text();
  const big = /<span class="big">([\d,]+)<\/span>/.exec(body)?.[1];
  if (response.status !== 200 || !big) throw new Error(`${url} answered ${response.status} without a response count: ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
  return Number(big.replace(/,/g, ''));
}

/**
 * Waits until Minyi's /healthz has answered 200 three times in a row (up to a minute) and returns how long that
 * took: after a bulk insert FerretDB may be busy for a while, and pages then get the designed 503.
 */
async function databaseSettled(url: string): Promise<number> {
  const started = performance.now();
  let healthySince: number | undefined;
  for (let healthy = 0; healthy < 3; ) {
    const status = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
    healthy = status === 200 ? healthy + 1 : 0;
    if (healthy === 1) healthySince = performance.now();
    if (performance.now() - started > 60_000) throw new Error(`/healthz still answers ${status} a minute after adding responses`);
    if (healthy < 3) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return healthySince! - started;
}

export async function measureDashboard(ctx: BenchContext): Promise<Figure[]> {
  const { rounds, duration, dashboardSizes: sizes } = ctx.options;
  const { models } = ctx;
  const tallies = new TallyService(models);
  const target = await findTarget(models, BUREAU, SURVEY);
  const { bureau, survey } = target;
  const district = bureau.districts.some((d) => d.id === FILTER_DISTRICT) ? FILTER_DISTRICT : bureau.districts[0]!.id;
  const accounts = new AccountService(models, { policy: new PasswordPolicy(), hasher: new PasswordHasher(), rateLimiter: new RateLimiter(models), devices: new KnownDevices(BENCH_SECRET), audit: new AuditLog(models, createLogger('silent')), health: new DatabaseHealth(models.User.db, { logger: createLogger('silent'), timeoutMs: 3000 }) });
  const email = `dashboard-${randomBytes(4).toString('hex')}@${bureau.slug}.bench`;
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  await accounts.create({ email, name: 'Dashboard bench', password, roles: [{ role: 'manager', bureau: bureau._id }] });
  const url = ctx.minyi().url;
  // Adding a million responses takes longer than a staff session may sit idle: sign in again for each size.
  let cookie = await signIn(url, email, password);

  const factory = createResponseFactory({ survey, bureau }, new Receipts(BENCH_SECRET));
  const [from, to] = [factory.days[FILTER_DAYS[0]]!, factory.days[FILTER_DAYS[1]]!];
  const unfilteredPath = `/staff/b/${bureau.slug}/surveys/${survey.slug}/results`;
  const filteredPath = `${unfilteredPath}?district=${district}&from=${from}&to=${to}`;
  // "Which district worries most, among residents who were victims": an answer filter, then a cross-tab.
  const answerPath = `${unfilteredPath}?answer=victim:yes`;
  const crossPath = `${unfilteredPath}?rows=district&cols=victim-kind`;
  let expectedFiltered = await shownTotal(`${url}${filteredPath}`, cookie);
  let stored = await shownTotal(`${url}${unfilteredPath}`, cookie);
  const countFiltered = (response: SurveyResponse) => {
    if (response.district === district && response.day >= from && response.day <= to) expectedFiltered += 1;
  };

  const VIEWS = [['unfiltered', unfilteredPath], ['filtered', filteredPath], ['answer', answerPath], ['crosstab', crossPath]] as const;
  type View = (typeof VIEWS)[number][0];
  const bySize = new Map<number, Record<View, Measurement[]> & { problems: string[] }>();
  for (const [index, size] of sizes.entries()) {
    ctx.log(`dashboard at ${size.toLocaleString('en')} responses: adding ${(size - stored).toLocaleString('en')}...`);
    await generateResponses(models, tallies, factory, { survey, bureau }, { count: size - stored, onResponse: countFiltered, log: (line) => ctx.log(`  ${line}`) });
    stored = size;
    const settleMs = await databaseSettled(url);
    if (settleMs > 1000) ctx.log(`  the database answered Minyi's health check again ${(settleMs / 1000).toFixed(1)} s after the responses were added`);
    cookie = await signIn(url, email, password);
    const [total, filteredTotal] = [await shownTotal(`${url}${unfilteredPath}`, cookie), await shownTotal(`${url}${filteredPath}`, cookie)];
    if (total !== size || filteredTotal !== expectedFiltered) throw new Error(`the dashboard shows ${total} responses (${size} expected) and ${filteredTotal} filtered (${expectedFiltered} expected)`);
    if (index === 0) {
      const verified = await new TallyVerifier(models, tallies).verify(survey._id);
      if (verified.differences.length > 0) throw new Error(`TallyVerifier: ${verified.differences.length} counters differ from a recount`);
      ctx.log(`  the tally and day slices equal a recount of the ${verified.responses.toLocaleString('en')} responses`);
    }
    const result = { unfiltered: [] as Measurement[], filtered: [] as Measurement[], answer: [] as Measurement[], crosstab: [] as Measurement[], problems: [] as string[] };
    // The first answer filter builds the survey's column store (one read of every response): timed apart.
    const built = performance.now();
    await shownTotal(`${url}${answerPath}`, cookie);
    ctx.log(`  first answer-filtered page (column store built): ${((performance.now() - built) / 1000).toFixed(1)} s`);
    for (const [name, path] of VIEWS) {
      const warm = await runAutocannon({ url, request: { method: 'GET', path, headers: { cookie, accept: 'text/html' } }, expectStatus: 200, connections: CONNECTIONS, amount: CONNECTIONS * 5 });
      ctx.log(`  warm-up ${name}: ${warm.requestsPerSecond.toFixed(0)} req/s, p99 ${warm.latency.p99} ms${warm.unexpectedTotal > 0 ? `, unexpected ${JSON.stringify(warm.unexpected)}` : ''}`);
    }
    for (let round = 1; round <= rounds; round += 1) {
      for (const [name, path] of VIEWS) {
        const summary = await runAutocannon({ url, request: { method: 'GET', path, headers: { cookie, accept: 'text/html' } }, expectStatus: 200, connections: CONNECTIONS, duration });
        result[name].push(measurement(summary));
        result.problems.push(...trouble(`${name} at ${size} round ${round}`, summary));
        ctx.log(`  round ${round} ${name}: ${summary.requestsPerSecond.toFixed(0)} req/s, p99 ${summary.latency.p99} ms`);
      }
    }
    bySize.set(size, result);
  }

  const small = bySize.get(sizes[0]!)!;
  const large = bySize.get(sizes.at(-1)!)!;
  const label = (size: number) => `${size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`} responses`;
  const problems = [...small.problems, ...large.problems];
  const unfiltered: Figure = { name: `dashboard, unfiltered, ${label(sizes.at(-1)!)}`, unit: 'req/s', minyi: large.unfiltered, baseline: { label: `same page, ${label(sizes[0]!)}`, rounds: small.unfiltered } };
  unfiltered.goal = { text: '≥ 0.80× the smaller survey', met: problems.length === 0 && median(ratios(unfiltered)) >= 0.8 };
  const filtered: Figure = { name: `dashboard, district + dates, ${label(sizes.at(-1)!)}`, unit: 'req/s', minyi: large.filtered, baseline: { label: `same page, ${label(sizes[0]!)}`, rounds: small.filtered } };
  filtered.goal = { text: 'p99 < 1,000 ms', met: problems.length === 0 && median(large.filtered.map((m) => m.p99)) < 1000 };
  filtered.note = `${CONNECTIONS} connections; district ${district}, ${from} … ${to}: ${expectedFiltered.toLocaleString('en')} responses${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
  const p99 = (rounds: Measurement[]) => median(rounds.map((m) => m.p99));
  const analysis = (view: 'answer' | 'crosstab', title: string): Figure => {
    const figure: Figure = { name: `dashboard, ${title}, ${label(sizes.at(-1)!)}`, unit: 'req/s', minyi: large[view], baseline: { label: `same page, ${label(sizes[0]!)}`, rounds: small[view] } };
    const ratio = p99(large[view]) / p99(small[view]);
    figure.goal = { text: 'p99 < 300 ms and ≤ 1.5× the smaller survey\'s p99', met: problems.length === 0 && p99(large[view]) < 300 && ratio <= 1.5 };
    figure.note = `${CONNECTIONS} connections; p99 ${p99(large[view])} ms against ${p99(small[view])} ms: ${ratio.toFixed(2)}×`;
    return figure;
  };
  const figures = [unfiltered, filtered, analysis('answer', 'answer filter victim:yes'), analysis('crosstab', 'cross-tab district × victim kind')];
  figures.push(await measureVotingDuringAnalysis(ctx, { survey, bureau, cookie: await signIn(url, email, password), paths: [answerPath, crossPath], size: sizes.at(-1)! }));
  return figures;
}

/** Analysts reading the column store must not slow voting: votes/s on the big survey alone, then with 10 analysts. */
async function measureVotingDuringAnalysis(ctx: BenchContext, input: { survey: Survey; bureau: Bureau; cookie: string; paths: string[]; size: number }): Promise<Figure> {
  const { rounds, duration, connections } = ctx.options;
  const url = ctx.minyi().url;
  const tokens = new FormTokens(BENCH_SECRET);
  const votes = new VoteRequests(tokens, { path: `/b/${input.bureau.slug}/s/${input.survey.slug}`, surveyId: String(input.survey._id), questions: input.survey.questions, districtIds: input.bureau.districts.map((d) => d.id) });
  const alone: Measurement[] = [];
  const during: Measurement[] = [];
  const analysts: number[] = [];
  const problems: string[] = [];
  ctx.log(`voting during analysis: ${rounds} rounds of ${duration} s voting alone, then with 10 analysts (${input.paths.join(', ')})`);
  await runAutocannon({ url, request: votes.request(), expectStatus: 303, connections, amount: connections * 10 });
  for (let round = 1; round <= rounds; round += 1) {
    const solo = await runAutocannon({ url, request: votes.request(), expectStatus: 303, connections, duration });
    alone.push(measurement(solo));
    problems.push(...trouble(`voting alone round ${round}`, solo));
    const reading = input.paths.map((path) => runAutocannon({ url, request: { method: 'GET', path, headers: { cookie: input.cookie, accept: 'text/html' } }, expectStatus: 200, connections: 10 / input.paths.length, duration: duration + 2 }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const together = await runAutocannon({ url, request: votes.request(), expectStatus: 303, connections, duration });
    during.push(measurement(together));
    problems.push(...trouble(`voting with analysts round ${round}`, together));
    const read = await Promise.all(reading);
    analysts.push(read.reduce((sum, r) => sum + r.requestsPerSecond, 0));
    for (const r of read) problems.push(...trouble(`analysts round ${round}`, r));
    ctx.log(`  round ${round}: alone ${solo.requestsPerSecond.toFixed(0)} votes/s p99 ${solo.latency.p99} ms · with analysts ${together.requestsPerSecond.toFixed(0)} votes/s p99 ${together.latency.p99} ms, analysts ${analysts.at(-1)!.toFixed(0)} pages/s (p99 ${read.map((r) => r.latency.p99).join(' / ')} ms)`);
  }
  const figure: Figure = { name: `vote POST during 10 analysts, ${input.size.toLocaleString('en')}-response survey`, unit: 'votes/s', minyi: during, baseline: { label: 'voting alone', rounds: alone } };
  figure.goal = { text: '≥ 0.80× voting alone', met: problems.length === 0 && median(ratios(figure)) >= 0.8 };
  figure.note = `${connections} voting connections; analysts read ${median(analysts).toFixed(0)} pages/s${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
  return figure;
}
