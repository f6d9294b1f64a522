/**
 * A manager's results dashboard of a survey of each size (10 thousand and a million responses by default):
 * unfiltered (from the survey's tally), filtered by district and dates (from its day slices), filtered by an
 * answer and a cross-tab of district × a multiple-choice question (from the column store), the largest survey
 * next to the smallest in each round. Then voting on the largest alone and while 10 analysts reload those two
 * views. Responses are generated straight into the database (bench/generate-responses.ts); a database kept
 * with --data-dir keeps them for the next run.
 */
import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { DatabaseHealth } from '../../server/db/database-health.js';
import { createLogger } from '../../server/logging/logger.js';
import type { Bureau } from '../../server/models/bureau.model.js';
import type { Models } from '../../server/models/index.js';
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
import { addDays, createResponseFactory, generateResponses } from '../generate-responses.js';
import { calendarDay } from '../../server/services/voting/vote.service.js';
import { cpuPer, findTarget, type BenchContext } from '../lib/bench-context.js';
import { median, ratios, type Figure, type Measurement } from '../lib/figures.js';
import { BENCH_SECRET } from '../lib/minyi-process.js';
import { runAutocannon } from '../lib/run-autocannon.js';
import { FormTokens } from '../../server/services/voting/form-token.js';
import { VoteRequests } from '../lib/vote-requests.js';
import { signIn } from '../lib/staff-sign-in.js';
import { measurement, trouble } from './survey-page.js';

/** Another bureau's copy of the vote scenarios' survey template: they do not add to it. */
const BUREAU = 'jinan-police';
const TEMPLATE_SURVEY = 'top-public-security-concerns';
const CONNECTIONS = 10;
/** Planners reading at once, each signed in as themself (heavy requests are limited per user too). */
const ANALYSTS = 10;
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

const sizeLabel = (size: number) => (size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`);

/**
 * The bench's survey of one size: a copy of the template survey, made on first use. A database kept with
 * --data-dir keeps it, so the next run adds no responses. Its responses span the 90 days before the day it was
 * made, so later runs find the same ones.
 */
async function sizedSurvey(models: Models, tallies: TallyService, bureau: Bureau, template: Survey, size: number): Promise<{ survey: Survey; until: string }> {
  const slug = `dashboard-bench-${sizeLabel(size).toLowerCase()}`;
  let survey = await models.Survey.findOne({ bureau: bureau._id, slug }).lean<Survey>();
  if (!survey) {
    const { title, description, defaultLocale, questions, settings, template: from } = template;
    const created = await models.Survey.create({ bureau: bureau._id, slug, template: from, title, description, defaultLocale, questions, settings, status: 'open' });
    await tallies.ensureTally(created._id);
    survey = created.toObject() as Survey;
  }
  return { survey, until: addDays(calendarDay(survey._id.getTimestamp(), bureau.timezone), -1) };
}

interface SizedDashboard {
  size: number;
  survey: Survey;
  /** Responses shown with the district and dates filter. */
  filtered: number;
  paths: Record<View, string>;
}

const VIEW_NAMES = ['unfiltered', 'filtered', 'answer', 'crosstab'] as const;
type View = (typeof VIEW_NAMES)[number];

/** Makes sure the survey of this size has its responses, and checks that its dashboard shows them all. */
async function prepareSize(ctx: BenchContext, tallies: TallyService, template: Survey, bureau: Bureau, size: number, cookie: () => Promise<string>): Promise<SizedDashboard> {
  const { models } = ctx;
  const url = ctx.minyi().url;
  const district = bureau.districts.some((d) => d.id === FILTER_DISTRICT) ? FILTER_DISTRICT : bureau.districts[0]!.id;
  const { survey, until } = await sizedSurvey(models, tallies, bureau, template, size);
  const factory = createResponseFactory({ survey, bureau }, new Receipts(BENCH_SECRET), { until });
  const [from, to] = [factory.days[FILTER_DAYS[0]]!, factory.days[FILTER_DAYS[1]]!];
  let filtered = 0;
  const countFiltered = (response: Pick<SurveyResponse, 'district' | 'day'>) => {
    if (response.district === district && response.day >= from && response.day <= to) filtered += 1;
  };
  const before = (await tallies.get(survey._id)).total;
  // Responses an earlier run added (its votes come after them, on later days, outside the filter).
  for (let i = 0; i < Math.min(before, size); i += 1) countFiltered(factory.build(i));
  if (before < size) {
    ctx.log(`dashboard at ${size.toLocaleString('en')} responses: adding ${(size - before).toLocaleString('en')}...`);
    await generateResponses(models, tallies, factory, { survey, bureau }, { count: size - before, onResponse: countFiltered, log: (line) => ctx.log(`  ${line}`) });
    const settleMs = await databaseSettled(url);
    if (settleMs > 1000) ctx.log(`  the database answered Minyi's health check again ${(settleMs / 1000).toFixed(1)} s after the responses were added`);
  } else {
    ctx.log(`dashboard at ${size.toLocaleString('en')} responses: ${before.toLocaleString('en')} stored by an earlier run (--data-dir)`);
  }
  const base = `/staff/b/${bureau.slug}/surveys/${survey.slug}/results`;
  const paths: Record<View, string> = {
    unfiltered: base,
    filtered: `${base}?district=${district}&from=${from}&to=${to}`,
    // "Which district worries most, among residents who were victims": an answer filter, then a cross-tab.
    answer: `${base}?answer=victim:yes`,
    crosstab: `${base}?rows=district&cols=victim-kind`,
  };
  const expectedTotal = Math.max(before, size);
  const [total, filteredTotal] = [await shownTotal(`${url}${paths.unfiltered}`, await cookie()), await shownTotal(`${url}${paths.filtered}`, await cookie())];
  if (total !== expectedTotal || filteredTotal !== filtered) throw new Error(`the dashboard shows ${total} responses (${expectedTotal} expected) and ${filteredTotal} filtered (${filtered} expected)`);
  // A recount reads the survey's responses (on FerretDB, every survey's): once, when they were just added.
  if (before < size && size < 100_000) {
    const verified = await new TallyVerifier(models, tallies).verify(survey._id);
    if (verified.differences.length > 0) throw new Error(`TallyVerifier: ${verified.differences.length} counters differ from a recount`);
    ctx.log(`  the tally and day slices equal a recount of the ${verified.responses.toLocaleString('en')} responses`);
  }
  // The first answer filter builds the survey's column store (one read of every response): timed apart. A big
  // survey's is read in the background while the page answers 202 with the progress, reloading itself.
  const built = performance.now();
  const session = await cookie();
  for (let lastLog = built; ; ) {
    const page = await fetch(`${url}${paths.answer}`, { headers: { cookie: session, accept: 'text/html' } });
    const body = await page.text();
    if (page.status === 200) break;
    // The read keeps FerretDB busy: on a loaded machine its health probe may answer late, and a page 503.
    if (page.status !== 202 && page.status !== 503) throw new Error(`${paths.answer} answered ${page.status} while its column store was built: ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      ctx.log(`    ${/<p role="status">([^<]*)<\/p>/.exec(body)?.[1] ?? 'preparing'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await shownTotal(`${url}${paths.answer}`, session);
  ctx.log(`  first answer-filtered page (column store built): ${((performance.now() - built) / 1000).toFixed(1)} s`);
  return { size, survey, filtered, paths };
}

/** A GET of a staff page by `connections` connections, each signed in as one of the analysts in turn. */
function asAnalysts(path: string, cookies: readonly string[]): autocannon.Request {
  let next = 0;
  return {
    method: 'GET',
    path,
    headers: { accept: 'text/html' },
    setupRequest(request, context) {
      const connection = context as { cookie?: string };
      connection.cookie ??= cookies[next++ % cookies.length]!;
      return { ...request, headers: { ...request.headers, cookie: connection.cookie } };
    },
  };
}

export async function measureDashboard(ctx: BenchContext): Promise<Figure[]> {
  const { rounds, duration, dashboardSizes: sizes } = ctx.options;
  const { models } = ctx;
  const tallies = new TallyService(models);
  const { bureau, survey: template } = await findTarget(models, BUREAU, TEMPLATE_SURVEY);
  const accounts = new AccountService(models, { policy: new PasswordPolicy(), hasher: new PasswordHasher(), rateLimiter: new RateLimiter(models), devices: new KnownDevices(BENCH_SECRET), audit: new AuditLog(models, createLogger('silent')), health: new DatabaseHealth(models.User.db, { logger: createLogger('silent'), timeoutMs: 3000 }) });
  const analysts = await Promise.all(
    Array.from({ length: ANALYSTS }, async (_, i) => {
      const email = `dashboard-${i + 1}-${randomBytes(4).toString('hex')}@${bureau.slug}.bench`;
      const password = `bench-${randomBytes(12).toString('base64url')}`;
      await accounts.create({ email, name: `Dashboard bench ${i + 1}`, password, roles: [{ role: 'manager', bureau: bureau._id }] });
      return { email, password };
    }),
  );
  const url = ctx.minyi().url;
  const signInAll = () => Promise.all(analysts.map(({ email, password }) => signIn(url, email, password)));
  // Adding a million responses takes longer than a staff session may sit idle: one sign-in per check.
  const firstCookie = () => signIn(url, analysts[0]!.email, analysts[0]!.password);

  const dashboards: SizedDashboard[] = [];
  for (const size of sizes) dashboards.push(await prepareSize(ctx, tallies, template, bureau, size, firstCookie));
  const cookies = await signInAll();

  type Runs = Record<View, Measurement[]> & { problems: string[] };
  const runs = new Map<number, Runs>(dashboards.map((d) => [d.size, { unfiltered: [], filtered: [], answer: [], crosstab: [], problems: [] }]));
  for (const dashboard of dashboards) {
    for (const view of VIEW_NAMES) {
      const warm = await runAutocannon({ url, request: asAnalysts(dashboard.paths[view], cookies), expectStatus: 200, connections: CONNECTIONS, amount: CONNECTIONS * 5 });
      ctx.log(`  warm-up ${view} at ${sizeLabel(dashboard.size)}: ${warm.requestsPerSecond.toFixed(0)} req/s, p99 ${warm.latency.p99} ms${warm.unexpectedTotal > 0 ? `, unexpected ${JSON.stringify(warm.unexpected)}` : ''}`);
    }
  }
  // Each view at every size back to back in each round, so a ratio shares its moment's noise.
  for (let round = 1; round <= rounds; round += 1) {
    for (const view of VIEW_NAMES) {
      for (const dashboard of dashboards) {
        const summary = await runAutocannon({ url, request: asAnalysts(dashboard.paths[view], cookies), expectStatus: 200, connections: CONNECTIONS, duration });
        const run = runs.get(dashboard.size)!;
        run[view].push(measurement(summary));
        run.problems.push(...trouble(`${view} at ${dashboard.size} round ${round}`, summary));
        ctx.log(`  round ${round} ${view} at ${sizeLabel(dashboard.size)}: ${summary.requestsPerSecond.toFixed(0)} req/s, p99 ${summary.latency.p99} ms`);
      }
    }
  }

  const [smallest, largest] = [dashboards[0]!, dashboards.at(-1)!];
  const small = runs.get(smallest.size)!;
  const large = runs.get(largest.size)!;
  const label = (size: number) => `${sizeLabel(size)} responses`;
  const problems = [...small.problems, ...large.problems];
  const baseline = (view: View) => ({ label: `same page, ${label(smallest.size)}`, rounds: small[view] });
  const unfiltered: Figure = { name: `dashboard, unfiltered, ${label(largest.size)}`, unit: 'req/s', minyi: large.unfiltered, baseline: baseline('unfiltered') };
  unfiltered.goal = { text: '≥ 0.80× the smaller survey', met: problems.length === 0 && median(ratios(unfiltered)) >= 0.8 };
  const filtered: Figure = { name: `dashboard, district + dates, ${label(largest.size)}`, unit: 'req/s', minyi: large.filtered, baseline: baseline('filtered') };
  filtered.goal = { text: 'p99 < 1,000 ms', met: problems.length === 0 && median(large.filtered.map((m) => m.p99)) < 1000 };
  filtered.note = `${CONNECTIONS} connections of ${ANALYSTS} planners; ${largest.paths.filtered.split('?')[1]}: ${largest.filtered.toLocaleString('en')} responses${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
  const p99 = (rounds: Measurement[]) => median(rounds.map((m) => m.p99));
  const analysis = (view: 'answer' | 'crosstab', title: string): Figure => {
    const figure: Figure = { name: `dashboard, ${title}, ${label(largest.size)}`, unit: 'req/s', minyi: large[view], baseline: baseline(view) };
    const ratio = p99(large[view]) / p99(small[view]);
    figure.goal = { text: "p99 < 300 ms and ≤ 1.5× the smaller survey's p99", met: problems.length === 0 && p99(large[view]) < 300 && ratio <= 1.5 };
    const failed = [...small.problems, ...large.problems].filter((problem) => problem.startsWith(view));
    figure.note = `${CONNECTIONS} connections of ${ANALYSTS} planners; p99 ${p99(large[view])} ms against ${p99(small[view])} ms: ${ratio.toFixed(2)}×${failed.length > 0 ? `; ${failed.join('; ')}` : ''}`;
    return figure;
  };
  const figures = [unfiltered, filtered, analysis('answer', 'answer filter victim:yes'), analysis('crosstab', 'cross-tab district × victim kind')];
  figures.push(await measureVotingDuringAnalysis(ctx, { survey: largest.survey, bureau, cookies: await signInAll(), paths: [largest.paths.answer, largest.paths.crosstab], size: largest.size }));
  return figures;
}

/** Analysts reading the column store must not slow voting: votes/s on the big survey alone, then with 10 analysts. */
async function measureVotingDuringAnalysis(ctx: BenchContext, input: { survey: Survey; bureau: Bureau; cookies: string[]; paths: string[]; size: number }): Promise<Figure> {
  const { rounds, duration, connections } = ctx.options;
  const url = ctx.minyi().url;
  const tokens = new FormTokens(BENCH_SECRET);
  const votes = new VoteRequests(tokens, { path: `/b/${input.bureau.slug}/s/${input.survey.slug}`, surveyId: String(input.survey._id), questions: input.survey.questions, districtIds: input.bureau.districts.map((d) => d.id) });
  const alone: Measurement[] = [];
  const during: Measurement[] = [];
  const analysts: number[] = [];
  const problems: string[] = [];
  ctx.log(`voting during analysis: ${rounds} rounds of ${duration} s voting alone, then with ${ANALYSTS} analysts (${input.paths.join(', ')})`);
  await runAutocannon({ url, request: votes.request(), expectStatus: 303, connections, amount: connections * 10 });
  for (let round = 1; round <= rounds; round += 1) {
    const pids = [ctx.minyi().child.pid, ctx.db.pid()];
    // CPU per vote of Minyi and FerretDB, alone and with analysts: where the analysts' share of the core goes.
    const { result: solo, ms: soloCpu } = await cpuPer(pids, () => runAutocannon({ url, request: votes.request(), expectStatus: 303, connections, duration }), (s) => s.responses);
    alone.push(measurement(solo));
    problems.push(...trouble(`voting alone round ${round}`, solo));
    // Each analyst on a view of their own: half the planners on each path.
    const perPath = ANALYSTS / input.paths.length;
    const reading = input.paths.map((path, i) => runAutocannon({ url, request: asAnalysts(path, input.cookies.slice(i * perPath, (i + 1) * perPath)), expectStatus: 200, connections: perPath, duration: duration + 2 }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { result: together, ms: togetherCpu } = await cpuPer(pids, () => runAutocannon({ url, request: votes.request(), expectStatus: 303, connections, duration }), (s) => s.responses);
    during.push(measurement(together));
    problems.push(...trouble(`voting with analysts round ${round}`, together));
    const read = await Promise.all(reading);
    analysts.push(read.reduce((sum, r) => sum + r.requestsPerSecond, 0));
    for (const r of read) problems.push(...trouble(`analysts round ${round}`, r));
    ctx.log(`  round ${round}: alone ${solo.requestsPerSecond.toFixed(0)} votes/s p99 ${solo.latency.p99} ms · with analysts ${together.requestsPerSecond.toFixed(0)} votes/s p99 ${together.latency.p99} ms, analysts ${analysts.at(-1)!.toFixed(0)} pages/s (p99 ${read.map((r) => r.latency.p99).join(' / ')} ms); CPU per vote Minyi + FerretDB ${soloCpu.map((ms) => ms.toFixed(2)).join(' + ')} ms alone, ${togetherCpu.map((ms) => ms.toFixed(2)).join(' + ')} ms with analysts`);
  }
  const figure: Figure = { name: `vote POST during 10 analysts, ${input.size.toLocaleString('en')}-response survey`, unit: 'votes/s', minyi: during, baseline: { label: 'voting alone', rounds: alone } };
  figure.goal = { text: '≥ 0.80× voting alone', met: problems.length === 0 && median(ratios(figure)) >= 0.8 };
  figure.note = `${connections} voting connections; analysts read ${median(analysts).toFixed(0)} pages/s${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
  return figure;
}
