/**
 * `npm run bench:vote [-- --duration 10 --connections 50]`: how many votes and survey pages Minyi serves on
 * its embedded database, next to bare Express baselines doing only the unavoidable part of the same work,
 * then whether every accepted vote was stored and counted exactly once. See bench/README.md.
 */
import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Types } from 'mongoose';
import { CSRF_COOKIE, FormTokens } from '../server/services/voting/form-token.js';
import { parseVoteForm } from '../server/services/voting/vote-form-parser.js';
import type { Container } from '../server/container.js';
import { ValidationError } from '../server/errors/index.js';
import { parseBenchOptions } from './lib/cli-options.js';
import { handlebarsSurveyPage } from './lib/handlebars-survey-page.js';
import { listen, type ListeningApp } from './lib/listen.js';
import { runAutocannon, type LoadSummary } from './lib/run-autocannon.js';
import { startMinyi, type BenchMinyi } from './lib/start-minyi.js';
import { formatTable, type ScenarioRow } from './lib/table.js';
import { VoteRequests, type VoteTarget } from './lib/vote-requests.js';

const BUREAU = 'huzhou-police';
const SURVEY = 'top-public-security-concerns';
/** Same template, another bureau: warms Minyi's vote path without adding to the survey being checked. */
const WARM_UP_BUREAU = 'jinan-police';
const LOCALE = 'zh-CN';

const log = (line = '') => process.stdout.write(`${line}\n`);
let interrupted = false;

async function findSurvey(container: Container, bureauSlug: string, surveySlug: string) {
  const found = await container.directory.find(bureauSlug, surveySlug);
  if (!found) throw new Error(`The demo data has no survey ${bureauSlug}/${surveySlug}; was MINYI_DEMO_DATA ignored?`);
  const { bureau, survey } = found;
  const target: VoteTarget = {
    path: `/b/${bureau.slug}/s/${survey.slug}`,
    surveyId: String(survey._id),
    questions: survey.questions,
    districtIds: bureau.districts.map((d) => d.id),
  };
  return { bureau, survey, target };
}

/** Baseline (b): the vote handler without the database: parse, check the token, validate, redirect. */
function bareVoteApp(container: Container, tokens: FormTokens, published: Awaited<ReturnType<typeof findSurvey>>): Express {
  const { bureau, survey, target } = published;
  const app = express();
  app.disable('x-powered-by');
  app.use(cookieParser(container.config.secret));
  app.post(target.path, express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 400 }), (req, res) => {
    const parsed = parseVoteForm(req.body, survey.questions);
    const token = tokens.verify(parsed.token, target.surveyId, req.cookies?.[CSRF_COOKIE]);
    if (typeof token === 'string') {
      res.status(403).type('text').send(`form token: ${token}`);
      return;
    }
    const validator = container.answerValidators.get(target.surveyId, survey.revision, survey.questions, bureau.districts.map((d) => d.id));
    try {
      validator.validate(parsed.submission);
      if (parsed.problems.length > 0) throw new ValidationError(parsed.problems);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      res.status(422).json(error.problems);
      return;
    }
    const receipt = container.receipts.forSubmission(target.surveyId, token.submissionId);
    res.redirect(303, `${target.path}/thanks/${receipt}?lang=${LOCALE}&sig=${container.receipts.sign(target.surveyId, receipt)}`);
  });
  const onError: ErrorRequestHandler = (error: { status?: number; message?: string }, _req, res, _next) => {
    res.status(error.status ?? 500).type('text').send(String(error.message));
  };
  app.use(onError);
  return app;
}

/** Baselines (d) and (e): the survey page rendered by plain Handlebars on every request, and a fixed string. */
function bareSurveyPageApps(published: Awaited<ReturnType<typeof findSurvey>>, minyiPage: string): { handlebars: Express; staticPage: Express } {
  const page = handlebarsSurveyPage(published.bureau, published.survey, LOCALE);
  // A form token is as long as Minyi's, but fixed: issuing one is Minyi's work, not the baseline's.
  const fixedToken = `${published.target.surveyId}.${'0'.repeat(32)}.1700000000.AAAAAAAAAAAAAAAA.${'A'.repeat(32)}`;
  const handlebars = express();
  handlebars.disable('x-powered-by');
  handlebars.get(published.target.path, (_req, res) => {
    res.type('html').send(page.render(fixedToken));
  });
  const staticPage = express();
  staticPage.disable('x-powered-by');
  staticPage.get(published.target.path, (_req, res) => {
    res.type('html').send(minyiPage);
  });
  return { handlebars, staticPage };
}

interface VoteCheck {
  ok: boolean;
  lines: string[];
}

/**
 * Waits until Minyi has finished the posts autocannon cut off when it stopped (they are still stored), and the
 * tally queue is empty: the stored count stays the same for a second.
 */
async function settle(container: Container, surveyId: Types.ObjectId): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await container.tallyWriter.drain();
    const count = await container.models.Response.countDocuments({ survey: surveyId });
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1000) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Every 303 has exactly one stored response, every stored response is either a 303 or a post cut off in flight
 * by the end of the run (never answered, so never acknowledged), the tally counts each stored response once, and
 * no receipt or submission id is stored twice.
 */
async function checkVotes(container: Container, surveyId: Types.ObjectId, votes: VoteRequests, run: LoadSummary): Promise<VoteCheck> {
  await settle(container, surveyId);
  const { Response } = container.models;
  const accepted = run.expected;
  const acceptedIds = votes.acceptedIds(303);
  const cutOff = new Set(votes.unanswered());
  const stored = await Response.countDocuments({ survey: surveyId });
  const tally = await container.tallies.get(surveyId);
  const duplicates = async (field: 'receipt' | 'submissionId') =>
    Response.aggregate<{ _id: string; count: number }>([
      { $match: { survey: surveyId } },
      { $group: { _id: `$${field}`, count: { $sum: 1 } } },
      { $match: { count: { $gt: 1 } } },
      { $limit: 10 },
    ]);
  const duplicateReceipts = await duplicates('receipt');
  const duplicateSubmissions = await duplicates('submissionId');
  const storedIds = new Set((await Response.find({ survey: surveyId }, { submissionId: 1, _id: 0 }).lean<Array<{ submissionId: string }>>()).map((r) => r.submissionId));
  const acceptedNotStored = [...acceptedIds].filter((id) => !storedIds.has(id)).length;
  const storedCutOff = [...storedIds].filter((id) => cutOff.has(id)).length;
  const storedOther = [...storedIds].filter((id) => !acceptedIds.has(id) && !cutOff.has(id)).length;
  const tallyTotal = tally?.total ?? Number.NaN;

  const checks: Array<[boolean, string]> = [
    [acceptedIds.size === accepted, `303s seen by the request generator (${acceptedIds.size}) == autocannon's 303 count (${accepted})`],
    [acceptedNotStored === 0, `every accepted vote is stored: ${acceptedNotStored} missing`],
    [storedOther === 0, `no stored response without a 303 other than the cut-off posts: ${storedOther}`],
    [stored === accepted + storedCutOff, `stored (${stored}) == accepted (${accepted}) + cut-off posts Minyi completed (${storedCutOff})`],
    [tallyTotal === stored, `tally total (${tallyTotal}) == stored (${stored})`],
    [duplicateReceipts.length === 0, `duplicate receipts: ${duplicateReceipts.length}`],
    [duplicateSubmissions.length === 0, `duplicate submission ids: ${duplicateSubmissions.length}`],
  ];
  const allResponses = await Response.estimatedDocumentCount();
  const lines = [
    `accepted (303) ${accepted} · stored ${stored} · tally total ${tallyTotal} · posts in flight when the run stopped ${cutOff.size} (stored anyway: ${storedCutOff})`,
    `responses per second during the run: ${votes.perSecond.join(' ')} (responses collection, all surveys: ${allResponses})`,
    `tally integrity counters: ${JSON.stringify(tally?.integrity ?? null)}`,
    ...checks.map(([ok, text]) => `  ${ok ? 'ok  ' : 'FAIL'} ${text}`),
  ];
  return { ok: checks.every(([ok]) => ok), lines };
}

function reportUnexpected(name: string, summary: LoadSummary): void {
  if (!summary.firstUnexpected) return;
  log(`${name}: ${summary.unexpectedTotal} unexpected responses; the first (status ${summary.firstUnexpected.status}) said:`);
  log(summary.firstUnexpected.body.replace(/\s+/g, ' ').slice(0, 1200));
}

async function main(): Promise<number> {
  const options = parseBenchOptions();
  const { duration, connections } = options;
  log(`bench:vote · ${duration} s per scenario · ${connections} connections · Node ${process.version}`);

  let minyi: BenchMinyi | undefined;
  const servers: ListeningApp[] = [];
  // Ctrl-C still stops the embedded database and removes the temporary folders. npm and tsx may pass the
  // same Ctrl-C on again, so later signals must not cut that short.
  process.on('SIGINT', () => {
    if (interrupted) return;
    interrupted = true;
    log('\ninterrupted: stopping Minyi...');
    void Promise.all(servers.map((server) => server.close()))
      .then(() => minyi?.stop())
      .finally(() => process.exit(130));
  });
  try {
    minyi = await startMinyi();
    const { container, url } = minyi;
    log(`Minyi at ${url} on ${minyi.databaseDescription}`);
    const published = await findSurvey(container, BUREAU, SURVEY);
    const warmUpTarget = (await findSurvey(container, WARM_UP_BUREAU, SURVEY)).target;
    const tokens = new FormTokens(minyi.config.secret);
    const pagePath = `${published.target.path}?lang=${LOCALE}`;

    const firstPage = await fetch(`${url}${pagePath}`);
    const minyiPage = await firstPage.text();
    if (firstPage.status !== 200) throw new Error(`GET ${pagePath} answered ${firstPage.status}: ${minyiPage.slice(0, 500)}`);

    const bareVote = await listen(bareVoteApp(container, tokens, published));
    servers.push(bareVote);
    const pageApps = bareSurveyPageApps(published, minyiPage);
    const bareHandlebars = await listen(pageApps.handlebars);
    servers.push(bareHandlebars);
    const bareStatic = await listen(pageApps.staticPage);
    servers.push(bareStatic);
    const hbsLength = Buffer.byteLength(handlebarsSurveyPage(published.bureau, published.survey, LOCALE).render('x'.repeat(120)));
    log(`survey page: Minyi ${Buffer.byteLength(minyiPage)} bytes, bare Handlebars ${hbsLength} bytes, static string ${Buffer.byteLength(minyiPage)} bytes`);

    const load = (target: string, request: Parameters<typeof runAutocannon>[0]['request'], expectStatus: number, amount?: number) =>
      runAutocannon({ url: target, request, expectStatus, connections, ...(amount === undefined ? { duration } : { amount }) });
    const getPage = { method: 'GET' as const, path: pagePath, headers: { accept: 'text/html' } };
    const warmUp = Math.max(connections * 10, 500);

    log('warming up (not measured)...');
    await load(bareVote.url, new VoteRequests(tokens, published.target).request(), 303, warmUp);
    // Few votes: on FerretDB every stored response makes later votes slower (see bench/README.md).
    await load(url, new VoteRequests(tokens, warmUpTarget).request(), 303, connections * 2);
    for (const target of [url, bareHandlebars.url, bareStatic.url]) await load(target, getPage, 200, warmUp * 2);

    log('vote POST: bare parse+validate...');
    const voteBaseline = await load(bareVote.url, new VoteRequests(tokens, published.target).request(), 303);
    log('vote POST: Minyi...');
    const votes = new VoteRequests(tokens, published.target);
    const voteMinyi = await load(url, votes.request(), 303);
    log('checking stored votes against the responses...');
    const check = await checkVotes(container, published.survey._id, votes, voteMinyi);
    for (const line of check.lines) log(line);

    log('survey GET: bare Express + Handlebars...');
    const getHandlebars = await load(bareHandlebars.url, getPage, 200);
    log('survey GET: bare static string...');
    const getStatic = await load(bareStatic.url, getPage, 200);
    log('survey GET: Minyi...');
    const getMinyi = await load(url, getPage, 200);

    const rows: ScenarioRow[] = [
      { scenario: 'vote POST · Minyi', summary: voteMinyi, comparedWith: [{ label: 'bare parse+validate', baseline: voteBaseline }] },
      { scenario: 'vote POST · bare parse+validate', summary: voteBaseline },
      {
        scenario: 'survey GET · Minyi',
        summary: getMinyi,
        comparedWith: [
          { label: 'bare Express+Handlebars', baseline: getHandlebars },
          { label: 'static string', baseline: getStatic },
        ],
      },
      { scenario: 'survey GET · bare Express+Handlebars', summary: getHandlebars },
      { scenario: 'survey GET · bare static string', summary: getStatic },
    ];
    log();
    log(formatTable(rows));
    log();
    for (const row of rows) reportUnexpected(row.scenario, row.summary);
    log(`vote consistency: ${check.ok ? 'ok' : 'FAILED'} (${check.lines[0]})`);
    return check.ok ? 0 : 1;
  } finally {
    for (const server of servers) await server.close();
    await minyi?.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Anything still holding the event loop open after every server stopped is a leak; say so, then leave.
    setTimeout(() => {
      process.stderr.write(`bench:vote: still open after stop: ${process.getActiveResourcesInfo().join(', ')}\n`);
      process.exit(code);
    }, 5000).unref();
  },
  (error: unknown) => {
    if (interrupted) return; // the SIGINT handler exits once Minyi has stopped
    process.stderr.write(`bench:vote failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
