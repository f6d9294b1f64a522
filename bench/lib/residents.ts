/**
 * Simulated residents, closed loop: each vote is a new browser (its own cookie jar) that GETs the survey page,
 * echoes the form's hidden fields, POSTs an answer to every question it is shown, and reads its receipt page.
 * Some post the same form twice, as a resident on a flaky connection does, and some open the survey again
 * after voting; both must get their first receipt back, never a second vote. Everything each resident was
 * told is recorded, so a script can reconcile it with what the database stored.
 */
import http from 'node:http';
import type { Question } from '../../server/models/survey-definition.types.js';
import { HONEYPOT_FIELD } from '../../server/services/voting/vote-form-parser.js';
import { randomVoteFields } from './vote-requests.js';

export interface ResidentTarget {
  url: string;
  /** e.g. /b/huzhou-police/s/top-public-security-concerns */
  path: string;
  questions: readonly Question[];
  districtIds: readonly string[];
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ResidentStats {
  /** Acknowledged votes (a 303 to their receipt): receipt → how many times a resident was given it as new. */
  receipts: Map<string, number>;
  /** Votes whose whole cycle worked, down to reading the receipt on the thank-you page. */
  completed: number;
  /** Same form posted again: answered with the same receipt. */
  retriesSameReceipt: number;
  /** Survey opened again after voting: answered with the "already taken part" page and the same receipt. */
  revisitsSameReceipt: number;
  /** Anything else, by what happened ("POST 503", "GET ECONNREFUSED", ...). */
  problems: Map<string, number>;
  /** Milliseconds of each completed GET + POST + receipt cycle. */
  cycleMs: number[];
  /** Each acknowledged vote's POST: when it was sent (performance.now()) and how long its 303 took. */
  votePosts: Array<{ at: number; ms: number }>;
  /** Requests answered 503: when (performance.now() at the answer), how long each took, and its Retry-After. */
  unavailable: Array<{ method: 'GET' | 'POST'; at: number; ms: number; retryAfter: string | undefined }>;
  /** Posts whose outcome the resident never learned (no response, or 503 until it gave up): they may or may not be stored. */
  unknownOutcome: number;
}

/** Adds one run's stats to a total. */
export function addStats(into: ResidentStats, run: ResidentStats): ResidentStats {
  for (const [receipt, n] of run.receipts) into.receipts.set(receipt, (into.receipts.get(receipt) ?? 0) + n);
  for (const [what, n] of run.problems) into.problems.set(what, (into.problems.get(what) ?? 0) + n);
  into.completed += run.completed;
  into.retriesSameReceipt += run.retriesSameReceipt;
  into.revisitsSameReceipt += run.revisitsSameReceipt;
  into.unknownOutcome += run.unknownOutcome;
  into.cycleMs.push(...run.cycleMs);
  into.votePosts.push(...run.votePosts);
  into.unavailable.push(...run.unavailable);
  return into;
}

export const newStats = (): ResidentStats => ({ receipts: new Map(), completed: 0, retriesSameReceipt: 0, revisitsSameReceipt: 0, problems: new Map(), cycleMs: [], votePosts: [], unavailable: [], unknownOutcome: 0 });

/** A random public-looking IPv4 address (10.x is fine too: Minyi only hashes it). */
const randomAddress = () => `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

const RECEIPT = /<p class="receipt">([A-Z0-9-]+)<\/p>/;
const receiptOf = (posted: Reply) => (posted.status === 303 ? /\/thanks\/([A-Z0-9-]+)\?/.exec(posted.headers.location ?? '')?.[1] : undefined);
const FORM_TOKEN = /name="_form" value="([^"]+)"/;
const unescapeAttribute = (value: string) => value.replace(/&#x3D;/g, '=').replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');

/** One resident's browser: its cookies, and the address Minyi sees it come from (through a trusted proxy). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  readonly address = randomAddress();
  take(headers: http.IncomingHttpHeaders): void {
    for (const line of headers['set-cookie'] ?? []) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export class ResidentClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(private readonly target: ResidentTarget, connections: number) {
    this.base = new URL(target.url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: 'GET' | 'POST', path: string, jar: CookieJar, body?: string, timeoutMs = 30_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { accept: 'text/html', cookie: jar.header(), 'x-forwarded-for': jar.address };
      if (body !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request({ host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          jar.take(res.headers);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('ETIMEDOUT')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * One resident votes. `retry`: posts the same form again after its receipt; `revisit`: opens the survey
   * again after voting. A post answered 503 is posted again after its Retry-After, as a resident would,
   * until `deadline`.
   */
  async vote(stats: ResidentStats, options: { retry: boolean; revisit: boolean; deadline: number }): Promise<void> {
    const jar = new CookieJar();
    const problem = (what: string): void => {
      stats.problems.set(what, (stats.problems.get(what) ?? 0) + 1);
    };
    const started = performance.now();
    let form: Reply;
    const getStarted = performance.now();
    try {
      form = await this.request('GET', `${this.target.path}?lang=zh-CN`, jar);
    } catch (error) {
      problem(`GET ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      // A resident whose page does not load waits a moment before trying again.
      return void (await new Promise((resolve) => setTimeout(resolve, 200)));
    }
    const token = FORM_TOKEN.exec(form.body)?.[1];
    if (form.status !== 200 || !token) {
      problem(`GET ${form.status}${form.status === 200 ? ' without a form' : ''}`);
      if (form.status === 503) {
        const retryAfter = form.headers['retry-after'];
        stats.unavailable.push({ method: 'GET', at: performance.now(), ms: performance.now() - getStarted, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined });
        // A resident shown the error page waits before loading the form again, as Retry-After asks.
        await new Promise((resolve) => setTimeout(resolve, Math.min(5, Number(retryAfter) || 1) * 1000));
      }
      return;
    }
    const body = new URLSearchParams([['_form', unescapeAttribute(token)], [HONEYPOT_FIELD, ''], ...randomVoteFields(this.target.questions, this.target.districtIds)]).toString();

    let posted: Reply | undefined;
    let postStarted: number;
    let postMs: number;
    for (;;) {
      postStarted = performance.now();
      try {
        posted = await this.request('POST', this.target.path, jar, body);
        postMs = performance.now() - postStarted;
      } catch (error) {
        stats.unknownOutcome += 1;
        return problem(`POST ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      if (posted.status !== 503) break;
      const retryAfter = posted.headers['retry-after'];
      stats.unavailable.push({ method: 'POST', at: performance.now(), ms: performance.now() - postStarted, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined });
      if (Date.now() > options.deadline) {
        // A 503 does not say the vote was not stored: the database may finish the insert after Minyi gave up on it.
        stats.unknownOutcome += 1;
        return problem('POST 503 until the end');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(5, Number(retryAfter) || 1) * 1000));
    }
    // The receipt is in the 303's Location: from then on the vote is acknowledged, even if the thank-you page fails.
    const receipt = receiptOf(posted);
    if (!receipt) return problem(`POST ${posted.status}`);
    stats.receipts.set(receipt, (stats.receipts.get(receipt) ?? 0) + 1);
    stats.votePosts.push({ at: postStarted, ms: postMs });
    const shown = await this.readReceipt(posted, jar);
    if (shown.receipt !== receipt) return problem(`thank-you page ${shown.status}`);
    stats.cycleMs.push(performance.now() - started);
    stats.completed += 1;

    if (options.retry) {
      const again = await this.request('POST', this.target.path, jar, body).catch(() => undefined);
      if (again && (await this.readReceipt(again, jar)).receipt === receipt) stats.retriesSameReceipt += 1;
      else problem(`retry ${again?.status ?? 'failed'}`);
    }
    if (options.revisit) {
      const page = await this.request('GET', `${this.target.path}?lang=zh-CN`, jar).catch(() => undefined);
      if (page?.status === 200 && page.body.includes(receipt) && !FORM_TOKEN.test(page.body)) stats.revisitsSameReceipt += 1;
      else problem(`revisit ${page?.status ?? 'failed'}`);
    }
  }

  /** The receipt a 303 leads to, read from the thank-you page, and that page's status (or connection error). */
  private async readReceipt(posted: Reply, jar: CookieJar): Promise<{ receipt: string | undefined; status: string }> {
    const location = posted.headers.location;
    if (posted.status !== 303 || !location) return { receipt: undefined, status: `not a 303 but ${posted.status}` };
    const page = await this.request('GET', location, jar).catch((error: NodeJS.ErrnoException) => error.code ?? error.message);
    if (typeof page === 'string') return { receipt: undefined, status: page };
    return { receipt: page.status === 200 ? RECEIPT.exec(page.body)?.[1] : undefined, status: String(page.status) };
  }
}

/**
 * Runs `residents` closed loops until `votes` have been attempted or `seconds` have passed, whichever first.
 * `everyNth` of them retry and revisit (0: none).
 */
export async function runResidents(client: ResidentClient, options: { residents: number; votes?: number; seconds?: number; everyNth?: number }): Promise<ResidentStats & { seconds: number }> {
  const stats = newStats();
  const started = performance.now();
  const deadline = Date.now() + (options.seconds ?? 3600) * 1000;
  let attempted = 0;
  const more = () => Date.now() < deadline && (options.votes === undefined || attempted < options.votes);
  const loop = async () => {
    while (more()) {
      attempted += 1;
      const special = options.everyNth ? attempted % options.everyNth === 0 : false;
      await client.vote(stats, { retry: special, revisit: special, deadline: deadline + 60_000 });
    }
  };
  await Promise.all(Array.from({ length: options.residents }, loop));
  return Object.assign(stats, { seconds: (performance.now() - started) / 1000 });
}
