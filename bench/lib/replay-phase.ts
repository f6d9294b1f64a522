/**
 * The `replays` phase of `npm run bench:pressure` (issue 15): does a burst of replays of one used invitation
 * code slow down everyone else's votes? A used code is refused only after database reads (the code, its
 * spent use, the live-use insert that fails, and whether this very form was stored already), so 200 of
 * them at once cost the database what 200 votes would.
 *
 * Codes are issued by `npm run codes` (scripts/codes.ts, InvitationCodes.generate), as staff issue them, on
 * the demo's invitation-only survey; one is used for a vote, the way a browser does it. Then residents vote on
 * the open-link survey for N seconds without replays and for N seconds during which the same filled form with
 * the used code is posted 200 times at once, each from its own address and with its own fresh form token.
 * Latency of the residents' vote POSTs is printed for both; correctness only is checked.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Question } from '../../server/models/survey-definition.types.js';
import { projectRoot } from '../../server/paths.js';
import { demoBureaus } from '../../server/services/demo/demo-bureaus.js';
import { HONEYPOT_FIELD } from '../../server/services/voting/vote-form-parser.js';
import { reconcile, recount, waitUntilCounted, type Counts } from './fault-checks.js';
import { percentile } from './figures.js';
import { BENCH_SECRET, type MinyiWithDatabase } from './minyi-process.js';
import type { PhaseContext } from './phase-runner.js';
import { openDatabase, residentTarget, surveyId } from './pressure-target.js';
import { addStats, newStats, ResidentClient, runResidents } from './residents.js';
import { randomVoteFields } from './vote-requests.js';

const CODE_BUREAU = 'nanchang-government';
const CODE_SURVEY = 'complaint-handling-satisfaction';
const CODE_PATH = `/b/${CODE_BUREAU}/s/${CODE_SURVEY}`;
/** Issued in one batch; one is used, the rest only make the batch look like a real one. */
const CODES_ISSUED = 50;
/** Seconds into the replay window at which the burst is sent, so the residents are in their stride. */
const BURST_AT_SECONDS = 2;
const COUNTED_WITHIN_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FORM_TOKEN = /name="_form" value="([^"]+)"/;
const unescapeAttribute = (value: string) => value.replace(/&#x3D;/g, '=').replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');

/** One browser: its cookies and the address the trusted proxy says it comes from. */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(
    private readonly url: string,
    readonly address: string,
  ) {}

  async request(method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; body: string; location: string | null }> {
    const headers: Record<string, string> = { accept: 'text/html', 'x-forwarded-for': this.address, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${this.url}${path}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return { status: response.status, body: await response.text(), location: response.headers.get('location') };
  }

  /** Opens the form and returns its fresh form token. */
  async openForm(): Promise<string> {
    const page = await this.request('GET', `${CODE_PATH}?lang=en`);
    const token = FORM_TOKEN.exec(page.body)?.[1];
    if (page.status !== 200 || !token) throw new Error(`GET ${CODE_PATH}: ${page.status}${page.status === 200 ? ' without a form' : ''}`);
    return unescapeAttribute(token);
  }

  post(token: string, fields: Array<[string, string]>) {
    return this.request('POST', `${CODE_PATH}?lang=en`, new URLSearchParams([['_form', token], [HONEYPOT_FIELD, ''], ...fields]).toString());
  }
}

/** Issues codes with `npm run codes`, as staff do, against the bench's database and secret. */
async function issueCodes(minyi: MinyiWithDatabase, count: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'codes', '--', '--survey', `${CODE_BUREAU}/${CODE_SURVEY}`, '--count', String(count)], {
    cwd: projectRoot(),
    env: { ...process.env, MONGODB_URI: minyi.database.uri, MINYI_DATA_DIR: minyi.db.dataDir, MINYI_SECRET: BENCH_SECRET, LOG_LEVEL: 'warn' },
  });
  return stdout.trim().split('\n').slice(1).map((line) => line.split(',')[0]!);
}

/** A valid filled form of the invitation survey, answers chosen at random as the residents' are. */
function filledForm(code: string): Array<[string, string]> {
  const template = JSON.parse(readFileSync(path.join(projectRoot(), 'surveys', `${CODE_SURVEY}.json`), 'utf8')) as { questions: Question[] };
  const districts = demoBureaus.find((b) => b.slug === CODE_BUREAU)!.districts.map((d) => d.id);
  return [['code', code], ...randomVoteFields(template.questions, districts)];
}

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} ms` : '—');
const latency = (posts: Array<{ ms: number }>) => {
  const values = posts.map((p) => p.ms);
  return { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99) };
};

export async function replays(ctx: PhaseContext, start: () => Promise<MinyiWithDatabase>, options: { seconds: number; replays: number }): Promise<void> {
  const { log } = ctx;
  const check = ctx.checks.check.bind(ctx.checks);
  log(`\n── replays of a used invitation code: ${ctx.residents} residents, ${options.seconds} s without, then ${options.seconds} s with ${options.replays} replays at once (from ${BURST_AT_SECONDS} s) ──`);
  const minyi = await start();
  const db = await openDatabase(minyi.database.uri);
  try {
    const bureau = await db.models.Bureau.findOne({ slug: CODE_BUREAU }, { _id: 1 }).lean();
    const codeSurvey = await db.models.Survey.findOne({ bureau: bureau!._id, slug: CODE_SURVEY }).lean();
    const policy = codeSurvey?.settings.votePolicy;
    if (!check('replays: the demo survey takes invitation codes', policy === 'invitation', `${CODE_BUREAU}/${CODE_SURVEY} vote policy ${policy}`)) return;
    const codeVotesBefore = await db.models.Response.countDocuments({ survey: codeSurvey!._id });

    const codes = await issueCodes(minyi, CODES_ISSUED);
    const code = codes[0]!;
    const fields = filledForm(code);
    const voter = new Browser(minyi.url, '198.18.255.1');
    const first = await voter.post(await voter.openForm(), fields);
    const receipt = /\/thanks\/([A-Z0-9-]+)\?/.exec(first.location ?? '')?.[1];
    if (!check('replays: a vote with a new code is accepted', first.status === 303 && receipt !== undefined, `${codes.length} codes issued by npm run codes; vote with ${code.slice(0, 4)}-…: ${first.status}, receipt ${receipt}`)) return;

    const id = await surveyId(db.models);
    const { stored, counted } = await recount(db.models, id);
    const before: Counts = { stored, counted };
    const client = new ResidentClient(residentTarget(minyi.url), ctx.residents);
    const all = newStats();
    addStats(all, await runResidents(client, { residents: ctx.residents, seconds: 3 }));

    const quiet = await runResidents(client, { residents: ctx.residents, seconds: options.seconds });
    addStats(all, quiet);
    log(`  without replays: ${ctx.summary(quiet)}`);

    // The replays' forms are opened beforehand, a few at a time: only their posts fall in the measured window.
    const browsers = Array.from({ length: options.replays }, (_, i) => new Browser(minyi.url, `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`));
    const tokens: string[] = [];
    for (let i = 0; i < browsers.length; i += 20) tokens.push(...(await Promise.all(browsers.slice(i, i + 20).map((b) => b.openForm()))));

    const busy = runResidents(client, { residents: ctx.residents, seconds: options.seconds });
    await sleep(BURST_AT_SECONDS * 1000);
    const burstStart = performance.now();
    const answers = await Promise.all(
      browsers.map((b, i) => {
        const sent = performance.now();
        return b.post(tokens[i]!, fields).then(
          (r) => ({ status: String(r.status), used: r.body.includes('already been used'), ms: performance.now() - sent }),
          (error: Error & { cause?: { code?: string } }) => ({ status: error.cause?.code ?? error.name, used: false, ms: performance.now() - sent }),
        );
      }),
    );
    const burstEnd = performance.now();
    const during = await busy;
    addStats(all, during);
    client.close();
    log(`  with replays:    ${ctx.summary(during)}`);

    const statuses = new Map<string, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const replayMs = answers.map((a) => a.ms);
    const q = latency(quiet.votePosts);
    const w = latency(during.votePosts);
    const overlap = latency(during.votePosts.filter((p) => p.at < burstEnd && p.at + p.ms > burstStart));
    log(`  replays: ${options.replays} posts in ${((burstEnd - burstStart) / 1000).toFixed(2)} s, answered ${[...statuses].map(([s, k]) => `${s} ×${k}`).join(', ')}; their own p50 ${ms(percentile(replayMs, 50))} p99 ${ms(percentile(replayMs, 99))}`);
    log(`  vote POST without replays:          ${q.n} posts, p50 ${ms(q.p50)} p99 ${ms(q.p99)}`);
    log(`  vote POST in the window of replays: ${w.n} posts, p50 ${ms(w.p50)} p99 ${ms(w.p99)} (×${(w.p50 / q.p50).toFixed(2)} / ×${(w.p99 / q.p99).toFixed(2)})`);
    log(`  vote POST overlapping the burst:    ${overlap.n} posts, p50 ${ms(overlap.p50)} p99 ${ms(overlap.p99)} (×${(overlap.p50 / q.p50).toFixed(2)} / ×${(overlap.p99 / q.p99).toFixed(2)})`);
    const worst = Math.max(w.p99, overlap.p99);
    log(`  issue 15 (p99 under 1 s during replays, printed, not checked): ${worst < 1000 ? 'yes' : 'no'} (${ms(worst)})`);

    const serverErrors = answers.filter((a) => !/^\d+$/.test(a.status) || Number(a.status) >= 500).length;
    check('replays: no replay answered 5xx or cut', serverErrors === 0, `${serverErrors} of ${options.replays}`);
    const usedAnswers = answers.filter((a) => (a.status === '409' || a.status === '422') && a.used).length;
    check('replays: every replay told the code is used (409/422)', usedAnswers === options.replays, `${usedAnswers} of ${options.replays}`);
    const codeVotes = (await db.models.Response.countDocuments({ survey: codeSurvey!._id })) - codeVotesBefore;
    const firstStored = (await db.models.Response.countDocuments({ survey: codeSurvey!._id, receipt })) === 1;
    check('replays: no replay stored a vote', codeVotes === 1 && firstStored, `the invitation survey gained ${codeVotes} response(s), the first vote's receipt stored: ${firstStored}`);
    check('replays: every resident got a receipt', all.problems.size === 0, `${all.completed.toLocaleString('en')} receipts; problems: ${all.problems.size === 0 ? 'none' : JSON.stringify(Object.fromEntries(all.problems))}`);
    ctx.headDone();
    await waitUntilCounted(db.models, id, COUNTED_WITHIN_MS);
    await reconcile(ctx.checks, db.models, id, all, before, 'replays');
  } finally {
    await db.close();
    await minyi.stop();
  }
}
