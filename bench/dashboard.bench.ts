/**
 * `npm run bench:dashboard [-- --sizes 10000,100000,1000000 --duration 10 --connections 10]`: how fast a
 * manager's results dashboard answers as one survey grows to a million responses: unfiltered (from the
 * survey's tally), filtered by district and dates (from its day slices), and filtered by an answer (a pass
 * over the responses, timed once per size). See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SurveyResponse } from '../server/models/response.model.js';
import { TallyVerifier } from '../server/services/tallies/tally-verifier.js';
import { createResponseFactory, generateResponses, type GenerateResult, type GenerateTarget } from './generate-responses.js';
import { parseBenchOptions } from './lib/cli-options.js';
import { runAutocannon, type LoadSummary } from './lib/run-autocannon.js';
import { signIn } from './lib/staff-sign-in.js';
import { markdownTable } from './lib/table.js';
import { startMinyi, type BenchMinyi } from './lib/start-minyi.js';

const BUREAU = 'huzhou-police';
const SURVEY = 'top-public-security-concerns';
const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];
const DEFAULT_CONNECTIONS = 10;
/** A request slower than this counts as failed (answer filters pass over every response). */
const REQUEST_TIMEOUT_MS = 300_000;
const FILTER_DISTRICT = 'wuxing';
/** The answer filter: residents who have been victims of a crime, in the same district. */
const FILTER_ANSWER = { question: 'victim', value: 'yes' } as const;
/** The filter's date range: days 30 to 60 (counted from 0) of the 90-day window the responses span. */
const FILTER_DAYS = [30, 60] as const;

const log = (line = '') => process.stdout.write(`${line}\n`);
let interrupted = false;

interface Options {
  sizes: number[];
  duration: number;
  connections: number;
}

/** --sizes is this benchmark's own; the rest are every benchmark's flags, with 10 connections by default. */
function parseOptions(argv = process.argv.slice(2)): Options {
  let rawSizes: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--sizes') rawSizes = argv[(i += 1)];
    else if (arg.startsWith('--sizes=')) rawSizes = arg.slice('--sizes='.length);
    else rest.push(arg);
  }
  const hasConnections = rest.some((arg) => arg === '--connections' || arg.startsWith('--connections='));
  const common = parseBenchOptions(hasConnections ? rest : [...rest, '--connections', String(DEFAULT_CONNECTIONS)]);
  const raw = rawSizes ?? DEFAULT_SIZES.join(',');
  const sizes = raw.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000_000)) throw new Error(`--sizes must be whole numbers from 1 to 10,000,000 separated by commas, not "${raw}"`);
  for (let i = 1; i < sizes.length; i += 1) {
    if (sizes[i]! <= sizes[i - 1]!) throw new Error(`--sizes must grow: the survey only ever gets more responses ("${raw}")`);
  }
  return { sizes, ...common };
}

interface Page {
  status: number;
  ms: number;
  total: number | undefined;
  body: string;
}

/**
 * One dashboard request, timed from sending to the last byte; `total` is the page's response count. A request
 * that gets no response (after REQUEST_TIMEOUT_MS, or the connection closed) has status 0.
 */
async function getDashboard(url: string, pathAndQuery: string, cookie: string): Promise<Page> {
  const started = performance.now();
  let response: Response;
  let body: string;
  try {
    response = await fetch(`${url}${pathAndQuery}`, { redirect: 'manual', headers: { cookie, accept: 'text/html' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    body = await response.text();
  } catch (error) {
    // Our own time limit, fetch's (undici gives up waiting for headers after 300 s too), or Node's
    // requestTimeout on the server side (also 300 s) closing the connection: all mean "too slow".
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = (error as Error).name === 'TimeoutError' ? `no response within ${REQUEST_TIMEOUT_MS / 1000} s` : `${(error as Error).message}: ${cause?.code ?? cause?.message ?? 'no cause'}`;
    return { status: 0, ms: performance.now() - started, total: undefined, body: why };
  }
  const ms = performance.now() - started;
  const big = /<span class="big">([\d,]+)<\/span>/.exec(body)?.[1];
  return { status: response.status, ms, total: big === undefined ? undefined : Number(big.replace(/,/g, '')), body };
}

async function folderBytes(folder: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await stat(path.join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return bytes;
}

interface SizeResult {
  size: number;
  generated: GenerateResult;
  unfiltered: LoadSummary;
  filtered: LoadSummary;
  filteredTotal: number;
  /** The one answer-filtered request: its time, or why it has none (then larger sizes are not tried). */
  answerMs: number | undefined;
  answerProblem: string | undefined;
  answerTotal: number;
  databaseBytes: number;
  loadAverage: string;
}

const ms = (value: number) => (value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en'));

function resultsTable(results: SizeResult[]): string {
  const first = results[0]!;
  const base = first.size.toLocaleString('en');
  const load = (u: LoadSummary, baseline: LoadSummary) => [
    u.requestsPerSecond.toFixed(0),
    ms(u.latency.p50),
    ms(u.latency.p99),
    String(u.unexpectedTotal + u.errors + u.timeouts),
    `${(u.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}×`,
  ];
  const header = [
    'responses',
    'unfiltered req/s', 'p50 ms', 'p99 ms', 'non-2xx', `vs ${base}`,
    'district+dates matches', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', `vs ${base}`,
    'answer filter matches', 's per req',
  ];
  const rows = results.map((r) => [
    r.size.toLocaleString('en'),
    ...load(r.unfiltered, first.unfiltered),
    r.filteredTotal.toLocaleString('en'),
    ...load(r.filtered, first.filtered),
    r.answerTotal.toLocaleString('en'),
    r.answerMs === undefined ? r.answerProblem ?? '—' : (r.answerMs / 1000).toFixed(1),
  ]);
  return markdownTable(header, rows, (i) => i > 0);
}

async function main(): Promise<number> {
  const options = parseOptions();
  const { sizes, duration, connections } = options;
  log(`bench:dashboard · sizes ${sizes.map((s) => s.toLocaleString('en')).join(' → ')} · unfiltered and district+dates ${duration} s each with ${connections} connections · answer filter one request · Node ${process.version} · ${os.cpus().length} cores`);

  let minyi: BenchMinyi | undefined;
  process.on('SIGINT', () => {
    if (interrupted) return;
    interrupted = true;
    log('\ninterrupted: stopping Minyi...');
    void Promise.resolve(minyi?.stop()).finally(() => process.exit(130));
  });
  try {
    minyi = await startMinyi();
    const { container, url } = minyi;
    log(`Minyi at ${url} on ${minyi.databaseDescription}`);
    // The embedded database keeps its files in a temporary folder of its own, named in its description.
    const databaseFolder = /, data in (\S+)$/.exec(minyi.databaseDescription)?.[1];
    const found = await container.directory.find(BUREAU, SURVEY);
    if (!found) throw new Error(`The demo data has no survey ${BUREAU}/${SURVEY}; was MINYI_DEMO_DATA ignored?`);
    const target: GenerateTarget = found;
    const { bureau, survey } = found;

    const email = 'dashboard-bench@huzhou-police.bench';
    const password = `bench-${randomBytes(12).toString('base64url')}`;
    await container.accounts.create({ email, name: 'Dashboard bench', password, roles: [{ role: 'manager', bureau: bureau._id }] });
    const cookie = await signIn(url, email, password);
    log('signed in as a manager of huzhou-police');

    const factory = createResponseFactory(target, container.receipts);
    const from = factory.days[FILTER_DAYS[0]]!;
    const to = factory.days[FILTER_DAYS[1]]!;
    const unfilteredPath = `/staff/b/${bureau.slug}/surveys/${survey.slug}/results`;
    const filteredPath = `${unfilteredPath}?district=${FILTER_DISTRICT}&from=${from}&to=${to}`;
    const answerPath = `${unfilteredPath}?district=${FILTER_DISTRICT}&answer=${FILTER_ANSWER.question}:${FILTER_ANSWER.value}`;
    log(`responses over ${factory.days[0]} … ${factory.days[factory.days.length - 1]}; filters: district ${FILTER_DISTRICT}, ${from} … ${to}; district ${FILTER_DISTRICT} and ${FILTER_ANSWER.question} = ${FILTER_ANSWER.value}`);
    // The demo data may already hold responses for the survey: the sizes count them, and so does the filter.
    const before = await getDashboard(url, unfilteredPath, cookie);
    const beforeFiltered = await getDashboard(url, filteredPath, cookie);
    const beforeAnswer = await getDashboard(url, answerPath, cookie);
    if (before.total === undefined || beforeFiltered.total === undefined || beforeAnswer.total === undefined) throw new Error(`the dashboard shows no response count (status ${before.status}, ${beforeFiltered.status}, ${beforeAnswer.status})`);
    if (before.total > sizes[0]!) throw new Error(`the survey already holds ${before.total} responses, more than the first size ${sizes[0]}`);
    log(`the survey holds ${before.total} responses from the demo data (${beforeFiltered.total} and ${beforeAnswer.total} of them match the filters)`);
    let expectedFiltered = beforeFiltered.total;
    let expectedAnswer = beforeAnswer.total;
    const countFiltered = (response: SurveyResponse) => {
      if (response.district !== FILTER_DISTRICT) return;
      if (response.day >= from && response.day <= to) expectedFiltered += 1;
      if (response.answers[FILTER_ANSWER.question] === FILTER_ANSWER.value) expectedAnswer += 1;
    };

    const results: SizeResult[] = [];
    let stored = before.total;
    for (const [sizeIndex, size] of sizes.entries()) {
      log();
      log(`── ${size.toLocaleString('en')} responses: adding ${(size - stored).toLocaleString('en')} ──`);
      const generated = await generateResponses(container.models, factory, target, { count: size - stored, onResponse: countFiltered, log });
      stored = size;
      const databaseBytes = databaseFolder ? await folderBytes(databaseFolder) : Number.NaN;
      log(`  database folder: ${(databaseBytes / 1e6).toFixed(0)} MB`);

      const check = await getDashboard(url, unfilteredPath, cookie);
      if (check.status !== 200 || check.total !== size) {
        throw new Error(`the dashboard shows ${check.total ?? 'no'} responses (status ${check.status}), not ${size}: ${check.body.replace(/\s+/g, ' ').slice(0, 500)}`);
      }
      log(`  dashboard total: ${check.total.toLocaleString('en')} ok`);
      if (sizeIndex === 0) {
        const started = performance.now();
        const verified = await new TallyVerifier(container.models).verify(survey._id);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        if (verified.differences.length > 0 || verified.responses !== size) {
          for (const d of verified.differences.slice(0, 20)) log(`    ${d.path}: tally ${d.tally}, recomputed ${d.recomputed}`);
          throw new Error(`TallyVerifier: ${verified.responses} responses, ${verified.differences.length} counters differ from the tally`);
        }
        log(`  TallyVerifier: ${verified.responses.toLocaleString('en')} responses recounted in ${seconds} s, every counter equals the tally`);
      }

      const measure = async (label: string, path: string) => {
        log(`  ${label}: ${duration} s with ${connections} connections...`);
        const request = { method: 'GET' as const, path, headers: { cookie, accept: 'text/html' } };
        await runAutocannon({ url, request, expectStatus: 200, connections, amount: connections * 20 }); // warm-up, not measured
        const load = await runAutocannon({ url, request, expectStatus: 200, connections, duration });
        if (load.firstUnexpected) log(`  first unexpected response (${load.firstUnexpected.status}): ${load.firstUnexpected.body.replace(/\s+/g, ' ').slice(0, 500)}`);
        log(`  ${label}: ${load.requestsPerSecond.toFixed(0)} req/s · p50 ${ms(load.latency.p50)} ms · p99 ${ms(load.latency.p99)} ms · ${load.unexpectedTotal} non-200 · ${load.errors} errors`);
        return load;
      };
      const unfiltered = await measure('unfiltered', unfilteredPath);
      const filteredPage = await getDashboard(url, filteredPath, cookie);
      if (filteredPage.total !== expectedFiltered) throw new Error(`the district+dates dashboard shows ${filteredPage.total ?? 'no'} responses, ${expectedFiltered} expected: ${filteredPage.body.replace(/\s+/g, ' ').slice(0, 500)}`);
      const filtered = await measure('district+dates', filteredPath);

      // Slow is a result, not a failure of the benchmark: record it and go on.
      let answerMs: number | undefined;
      let answerProblem = results.some((r) => r.answerProblem !== undefined) ? 'not tried' : undefined;
      if (answerProblem === undefined) {
        const page = await getDashboard(url, answerPath, cookie);
        if (page.status !== 200) answerProblem = page.status === 0 ? `no response after ${(page.ms / 1000).toFixed(0)} s` : `status ${page.status} after ${(page.ms / 1000).toFixed(0)} s`;
        else if (page.total !== expectedAnswer) throw new Error(`the answer-filtered dashboard shows ${page.total ?? 'no'} responses, ${expectedAnswer} expected`);
        else answerMs = page.ms;
        log(`  answer filter: ${answerProblem ?? `${((answerMs ?? 0) / 1000).toFixed(2)} s, ${expectedAnswer.toLocaleString('en')} responses`}`);
      }
      const loadAverage = os.loadavg().map((l) => l.toFixed(1)).join(' ');
      log(`  load average ${loadAverage}`);
      results.push({ size, generated, unfiltered, filtered, filteredTotal: expectedFiltered, answerMs, answerProblem, answerTotal: expectedAnswer, databaseBytes, loadAverage });
    }

    log();
    log(resultsTable(results));
    log();
    for (const r of results) {
      const g = r.generated;
      log(`generated ${(g.inserted + g.alreadyStored).toLocaleString('en')} (to ${r.size.toLocaleString('en')}) in ${g.seconds.toFixed(1)} s: ${Math.round(g.perSecond).toLocaleString('en')} responses/s · database folder ${(r.databaseBytes / 1e6).toFixed(0)} MB · load average ${r.loadAverage}`);
    }
    const failed = results.some((r) => r.answerProblem !== undefined || [r.unfiltered, r.filtered].some((u) => u.unexpectedTotal + u.errors > 0));
    if (failed) log('some requests failed or timed out: exit code 1');
    return failed ? 1 : 0;
  } finally {
    await minyi?.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => {
      process.stderr.write(`bench:dashboard: still open after stop: ${process.getActiveResourcesInfo().join(', ')}\n`);
      process.exit(code);
    }, 5000).unref();
  },
  (error: unknown) => {
    if (interrupted) return; // the SIGINT handler exits once Minyi has stopped
    process.stderr.write(`bench:dashboard failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
