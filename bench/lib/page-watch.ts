/**
 * Watches every page a fault could break, from before the fault until 60 s after it: the home page, each open
 * survey's page, its results page where residents may read them, and a signed-in staff page. Each request goes
 * on a new connection, so behind the round-robin proxy the rounds visit every Minyi process. The verdict:
 * no 500 and no 404 for an open survey at any time; 503 (or a cut connection, where the fault kills a
 * process) only from the start of the fault until the pages are healthy again; healthy again within 60 s
 * of its end, and healthy from then on.
 */
import http from 'node:http';
import Handlebars from 'handlebars';
import type { Types } from 'mongoose';
import type { Models } from '../../server/models/index.js';
import { effectiveStatus } from '../../server/services/voting/survey-availability.js';
import { publicResultsHref } from '../../server/web/resident/resident-pages.js';

export interface WatchedPage {
  /** e.g. "survey huzhou-police/top-public-security-concerns" */
  label: string;
  path: string;
  cookie?: string;
  /** Text a correct answer contains (HTML-escaped as Minyi writes it). */
  expected: string;
}

export interface PageAnswer {
  page: string;
  round: number;
  /** performance.now() when the request was sent and when its answer (or error) came. */
  sentAt: number;
  answeredAt: number;
  /** HTTP status, or the connection error's code. */
  status: number | string;
  correct: boolean;
}

const escape = (text: string) => Handlebars.escapeExpression(text);

/** The pages of every open survey in the database, its public results where shown, the home page, and one staff page. */
export async function pagesToWatch(models: Models, staff: { cookie: string; bureau: string; survey: string }): Promise<WatchedPage[]> {
  const bureaus = new Map((await models.Bureau.find({}, { slug: 1 }).lean()).map((b) => [String(b._id), b.slug]));
  const surveys = await models.Survey.find({}, { bureau: 1, slug: 1, title: 1, status: 1, opensAt: 1, closesAt: 1, settings: 1 }).lean();
  const pages: WatchedPage[] = [{ label: 'home page', path: '/?lang=zh-CN', expected: 'href="/b/' }];
  for (const survey of surveys) {
    const status = effectiveStatus(survey);
    const bureau = bureaus.get(String(survey.bureau as Types.ObjectId));
    if (status !== 'open' || !bureau) continue;
    const title = escape(survey.title['zh-CN'] ?? '');
    pages.push({ label: `survey ${bureau}/${survey.slug}`, path: `/b/${bureau}/s/${survey.slug}?lang=zh-CN`, expected: 'name="_form"' });
    const results = publicResultsHref({ slug: bureau }, survey, status);
    if (results) pages.push({ label: `results ${bureau}/${survey.slug}`, path: `${results}?lang=zh-CN`, expected: title });
    if (bureau === staff.bureau && survey.slug === staff.survey) {
      pages.push({ label: `staff results ${bureau}/${survey.slug}`, path: `/staff/b/${bureau}/surveys/${survey.slug}/results?lang=zh-CN`, cookie: staff.cookie, expected: title });
    }
  }
  return pages;
}

/** One GET on a new connection; the status or the connection error's code, and the body. */
function get(url: string, page: WatchedPage): Promise<{ status: number | string; body: string }> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { accept: 'text/html', connection: 'close' };
    if (page.cookie) headers.cookie = page.cookie;
    const req = http.get(`${url}${page.path}`, { agent: false, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message, body: '' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message, body: '' }));
  });
}

/** Asks for every page, all at once, round after round (250 ms apart), until stopped. */
export class PageWatch {
  private readonly answers: PageAnswer[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly pages: readonly WatchedPage[],
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      for (let round = 0; this.running; round += 1) {
        await Promise.all(
          this.pages.map(async (page) => {
            const sentAt = performance.now();
            const { status, body } = await get(this.url, page);
            this.answers.push({ page: page.label, round, sentAt, answeredAt: performance.now(), status, correct: status === 200 && body.includes(page.expected) });
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
  }

  /** When the newest request was sent (0 before any). */
  lastSentAt(): number {
    return this.answers.reduce((last, answer) => Math.max(last, answer.sentAt), 0);
  }

  async stop(): Promise<PageAnswer[]> {
    this.running = false;
    await this.loop;
    return this.answers;
  }
}

export interface PageVerdict {
  ok: boolean;
  /** What went wrong, for the check's detail. */
  problems: string[];
  rounds: number;
  answers: number;
  unavailable: number;
  slowestUnavailableMs: number;
  /** The slowest answer of any kind: a page held while the database hangs, rather than refused. */
  slowestAnswerMs: number;
  /** From the end of the fault to the first round after it in which every page answered correctly. */
  healthyAfterMs: number | undefined;
}

/**
 * Judges the answers against the fault's start and end (performance.now()). `cutsConnections`: the fault kills a
 * process, so a connection cut during it is part of the fault, not a failure.
 */
export function judgePages(answers: readonly PageAnswer[], fault: { start: number; end: number }, options: { windowMs: number; cutsConnections: boolean }): PageVerdict {
  const byRound = new Map<number, PageAnswer[]>();
  for (const answer of answers) byRound.set(answer.round, [...(byRound.get(answer.round) ?? []), answer]);
  const healthyRound = [...byRound.values()].find((round) => round.every((a) => a.sentAt >= fault.end && a.correct));
  const healthyFrom = healthyRound ? Math.min(...healthyRound.map((a) => a.sentAt)) : Number.POSITIVE_INFINITY;
  const problems = new Map<string, number>();
  const note = (what: string) => problems.set(what, (problems.get(what) ?? 0) + 1);
  const unavailable = new Set(answers.filter((a) => a.status === 503 || (options.cutsConnections && typeof a.status === 'string')));
  for (const a of answers) {
    if (a.correct) continue;
    // Answers in flight when the fault began or sent before the pages were healthy again may be refused.
    const duringFault = a.answeredAt >= fault.start && a.sentAt < healthyFrom;
    const when = a.sentAt < fault.start ? 'before the fault' : a.sentAt < healthyFrom ? 'during the fault' : 'after recovery';
    if (unavailable.has(a)) {
      if (!duringFault) note(`${a.page}: ${a.status} ${when}`);
    } else if (a.status === 200) {
      note(`${a.page}: 200 without its content ${when}`);
    } else {
      note(`${a.page}: ${a.status} ${when}`);
    }
  }
  if (!healthyRound || healthyFrom - fault.end > options.windowMs) note(`pages not all healthy within ${options.windowMs / 1000} s of the fault's end`);
  const lastSent = Math.max(...answers.map((a) => a.sentAt));
  if (lastSent - fault.end < options.windowMs) note(`watched only ${((lastSent - fault.end) / 1000).toFixed(0)} s after the fault`);
  return {
    ok: problems.size === 0,
    problems: [...problems].map(([what, n]) => `${what} (×${n})`),
    rounds: byRound.size,
    answers: answers.length,
    unavailable: unavailable.size,
    slowestUnavailableMs: Math.max(0, ...[...unavailable].map((a) => a.answeredAt - a.sentAt)),
    slowestAnswerMs: Math.max(0, ...answers.map((a) => a.answeredAt - a.sentAt)),
    healthyAfterMs: healthyRound ? healthyFrom - fault.end : undefined,
  };
}

/**
 * Time from `from` (performance.now()) to the first 200 of `healthUrl`, asked every 100 ms, each on a new
 * connection; undefined when none came within `timeoutMs`.
 */
export async function firstHealthyAnswer(healthUrl: () => string, from: number, timeoutMs: number): Promise<number | undefined> {
  const page: WatchedPage = { label: 'healthz', path: '', expected: '' };
  while (performance.now() - from < timeoutMs) {
    const { status } = await get(healthUrl(), page);
    if (status === 200) return performance.now() - from;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
