/**
 * A manager's results dashboard as one survey grows (to a million responses by default): unfiltered (from the
 * survey's tally) and filtered by district and dates (from its day slices), each at the largest size next to
 * the same page at the smallest. Responses are generated straight into the database (bench/generate-responses.ts).
 */
import { randomBytes } from 'node:crypto';
import { DatabaseHealth } from '../../server/db/database-health.js';
import { createLogger } from '../../server/logging/logger.js';
import type { SurveyResponse } from '../../server/models/response.model.js';
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
  let expectedFiltered = await shownTotal(`${url}${filteredPath}`, cookie);
  let stored = await shownTotal(`${url}${unfilteredPath}`, cookie);
  const countFiltered = (response: SurveyResponse) => {
    if (response.district === district && response.day >= from && response.day <= to) expectedFiltered += 1;
  };

  const bySize = new Map<number, { unfiltered: Measurement[]; filtered: Measurement[]; problems: string[] }>();
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
    const result = { unfiltered: [] as Measurement[], filtered: [] as Measurement[], problems: [] as string[] };
    for (const path of [unfilteredPath, filteredPath]) {
      await runAutocannon({ url, request: { method: 'GET', path, headers: { cookie, accept: 'text/html' } }, expectStatus: 200, connections: CONNECTIONS, amount: CONNECTIONS * 5 });
    }
    for (let round = 1; round <= rounds; round += 1) {
      for (const [name, path] of [['unfiltered', unfilteredPath], ['filtered', filteredPath]] as const) {
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
  return [unfiltered, filtered];
}
