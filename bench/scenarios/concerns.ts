/**
 * The concerns page of a bureau with 18,000 microblog comments (Beijing police's year of comments), timed
 * as staff open it: the whole page, each request reading every text and segmenting it. Next to it, the same
 * page at 1,000 texts. The goal (issue 18): 18,000 comments analysed in under 10 s on this machine.
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { DatabaseHealth } from '../../server/db/database-health.js';
import { createLogger } from '../../server/logging/logger.js';
import { AccountService } from '../../server/services/accounts/account.service.js';
import { KnownDevices } from '../../server/services/accounts/known-devices.js';
import { PasswordHasher } from '../../server/services/accounts/password-hasher.js';
import { PasswordPolicy } from '../../server/services/accounts/password-policy.js';
import { AuditLog } from '../../server/services/audit/audit-log.js';
import { ConcernsService } from '../../server/services/concerns/concerns.service.js';
import { loadVocabulary } from '../../server/services/concerns/vocabulary.js';
import { microblogComments } from '../../server/services/demo/microblog-comments.js';
import { RateLimiter } from '../../server/services/voting/rate-limiter.js';
import type { BenchContext } from '../lib/bench-context.js';
import { median, percentile, type Figure, type Measurement } from '../lib/figures.js';
import { BENCH_SECRET } from '../lib/minyi-process.js';
import { signIn } from '../lib/staff-sign-in.js';

export const CONCERN_TEXTS = 18_000;
const SMALL = 1_000;
/** Timed page loads per round: each is a whole analysis, so a few say enough. */
const LOADS_PER_ROUND = 3;

async function benchBureau(ctx: BenchContext, slug: string, count: number, concerns: ConcernsService) {
  const _id = new Types.ObjectId();
  const districts = ['chaoyang', 'haidian', 'dongcheng', 'xicheng', 'fengtai'].map((id) => ({ id, name: { 'zh-CN': `${id}区`, en: `${id} District` } }));
  await ctx.models.Bureau.create({ _id, slug, name: { 'zh-CN': '基准测试公安局', en: 'Bench Police' }, kind: 'police', region: { 'zh-CN': '北京市', en: 'Beijing' }, city: { 'zh-CN': '北京市', en: 'Beijing' }, districts, timezone: 'Asia/Shanghai', defaultLocale: 'zh-CN' });
  const now = new Date();
  const comments = microblogComments({ seed: `bench/${slug}`, kind: 'police', city: '北京', districts: districts.map((d) => d.id), count, now, days: 365 });
  const stored = await concerns.addPosts({ _id }, comments, now);
  if (stored.added !== count) throw new Error(`${slug}: ${stored.added} of ${count} comments stored (${stored.duplicates} duplicates)`);
  return _id;
}

/** GETs the page `loads` times in a row; each must show every text. */
async function timeLoads(url: string, cookie: string, expected: number, loads: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < loads; i += 1) {
    const started = performance.now();
    const response = await fetch(url, { headers: { cookie, accept: 'text/html', 'accept-language': 'en' }, redirect: 'manual' });
    const body = await response.text();
    times.push(performance.now() - started);
    const total = /of ([\d,]+) texts speak of at least one concern/.exec(body)?.[1];
    if (response.status !== 200 || Number(total?.replace(/,/g, '')) !== expected) throw new Error(`${url} answered ${response.status} with ${total ?? 'no'} texts (${expected} expected): ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
  return times;
}

const asMeasurement = (times: number[]): Measurement => ({ rate: 1000 / median(times), p50: median(times), p99: percentile(times, 99) });

export async function measureConcerns(ctx: BenchContext): Promise<Figure[]> {
  const { models } = ctx;
  const logger = createLogger('silent');
  const concerns = new ConcernsService(models, { secret: BENCH_SECRET, vocabulary: loadVocabulary() });
  const suffix = randomBytes(3).toString('hex');
  const [largeSlug, smallSlug] = [`concerns-bench-${suffix}`, `concerns-small-${suffix}`];
  ctx.log(`concerns: storing ${CONCERN_TEXTS.toLocaleString('en')} and ${SMALL.toLocaleString('en')} microblog comments...`);
  const largeId = await benchBureau(ctx, largeSlug, CONCERN_TEXTS, concerns);
  const smallId = await benchBureau(ctx, smallSlug, SMALL, concerns);

  // The analysis alone, in this process: segmentation and counting of the texts once they are read.
  const texts = await concerns.texts(largeId);
  await concerns.analyse(largeId, texts.slice(0, 100));
  const started = performance.now();
  const { analysis } = await concerns.analyse(largeId, texts);
  const analyseMs = performance.now() - started;
  ctx.log(`  analysis alone: ${analysis.total.toLocaleString('en')} texts in ${analyseMs.toFixed(0)} ms, ${analysis.concerns.length} concerns, ${analysis.matched.toLocaleString('en')} texts matched`);

  const accounts = new AccountService(models, { policy: new PasswordPolicy(), hasher: new PasswordHasher(), rateLimiter: new RateLimiter(models), devices: new KnownDevices(BENCH_SECRET), audit: new AuditLog(models, logger), health: new DatabaseHealth(models.User.db, { logger, timeoutMs: 3000 }) });
  const email = `concerns-${suffix}@bench.test`;
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  await accounts.create({ email, name: 'Concerns bench', password, roles: [{ role: 'manager', bureau: largeId }, { role: 'manager', bureau: smallId }] });
  const url = ctx.minyi().url;
  const cookie = await signIn(url, email, password);
  const page = (slug: string) => `${url}/staff/b/${slug}/concerns?weeks=all`;
  // One load each first: Minyi loads jieba's dictionary on the first concerns page it serves.
  await timeLoads(page(smallSlug), cookie, SMALL, 1);
  const large: Measurement[] = [];
  const small: Measurement[] = [];
  for (let round = 1; round <= ctx.options.rounds; round += 1) {
    const smallTimes = await timeLoads(page(smallSlug), cookie, SMALL, LOADS_PER_ROUND);
    const largeTimes = await timeLoads(page(largeSlug), cookie, CONCERN_TEXTS, LOADS_PER_ROUND);
    small.push(asMeasurement(smallTimes));
    large.push(asMeasurement(largeTimes));
    ctx.log(`  round ${round}: ${CONCERN_TEXTS.toLocaleString('en')} texts ${largeTimes.map((t) => t.toFixed(0)).join(', ')} ms; ${SMALL.toLocaleString('en')} texts ${smallTimes.map((t) => t.toFixed(0)).join(', ')} ms`);
  }
  const figure: Figure = { name: `concerns page, ${CONCERN_TEXTS / 1000}k texts`, unit: 'pages/s', minyi: large, baseline: { label: `same page, ${SMALL / 1000}k texts`, rounds: small } };
  figure.goal = { text: 'whole page < 10 s', met: median(large.map((m) => m.p99)) < 10_000 };
  figure.note = `${LOADS_PER_ROUND} loads per round, one at a time; the analysis alone (segmenting and counting, in the bench process) took ${(analyseMs / 1000).toFixed(2)} s for ${analysis.total.toLocaleString('en')} texts`;
  return [figure];
}
