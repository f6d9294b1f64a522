/**
 * Writes synthetic responses for one survey straight into the database, in bulk, and adds them to the
 * survey's tally in the same run, so the results dashboard can be measured at 10 thousand to a million
 * responses without casting a million votes. Used by bench/dashboard.bench.ts; also a command:
 *
 *   npx tsx bench/generate-responses.ts --survey huzhou-police/top-public-security-concerns --count 100000
 *
 * (against MONGODB_URI or the data folder's embedded database; counts are insert-only, so `npm start` may run
 * meanwhile).
 *
 * Response number i is always the same response (its submission id, _id, answers and time come from a hash of
 * the seed, the survey and i), and a run adds numbers from the tally's total on. So growing a survey from 10k
 * to 100k adds numbers 10,000 to 99,999, and a run that stopped half way is finished by running it again: the
 * responses it had stored are refused as duplicates by the unique (survey, submissionId) index but still
 * counted, because the counts are written once, at the end, as one delta with everything the run added.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Types } from 'mongoose';
import type { Bureau } from '../server/models/bureau.model.js';
import type { Models } from '../server/models/index.js';
import { CHANNELS, type AnswerValue, type Channel, type SurveyResponse } from '../server/models/response.model.js';
import { OTHER_OPTION_ID, type Locale, type Question } from '../server/models/survey-definition.types.js';
import type { Survey } from '../server/models/survey.model.js';
import { visibleQuestionIds } from '../server/services/surveys/answer-validator.js';
import { zonedWallTimeToDate } from '../server/services/surveys/zoned-time.js';
import { TallySums } from '../server/services/tallies/tally-sums.js';
import type { TallyService } from '../server/services/tallies/tally.service.js';
import type { Receipts } from '../server/services/voting/receipt.js';
import { calendarDay } from '../server/services/voting/vote.service.js';

export const DEFAULT_BATCH_SIZE = 5000;
export const DEFAULT_DAYS = 90;
export const DEFAULT_SEED = 'minyi-bench';

const DAY_MS = 86_400_000;

/** Free-text answers: what residents write, mostly in Chinese. Combined and cut to the question's limit. */
const ADVICE = [
  '加强夜间巡逻，特别是小区周边',
  '多在学校门口安排警力',
  '加大电信诈骗宣传力度，多提醒老年人',
  '电动车被盗太多了，希望多装监控',
  '希望派出所办事更方便，少跑腿',
  '整治夜市周边的打架斗殴',
  '路口经常有人闯红灯，需要加强管理',
  '出警速度再快一点',
  '农村地区也要多巡逻',
  '公布举报电话，及时反馈处理结果',
  'More patrols near the bus station at night, please',
  'Faster response to 110 calls',
];
const OTHER_TEXTS = ['噪音扰民', '高空抛物', '非法集资', '网络赌博', '醉驾', '养犬不拴绳'];
/** Most residents answer on the web; kiosks, paper forms typed in, and phone interviews make up the rest. */
const CHANNEL_WEIGHTS: Record<Channel, number> = { web: 82, phone: 8, kiosk: 6, paper: 4 };
const LOCALE_WEIGHTS: Array<[Locale, number]> = [
  ['zh-CN', 91],
  ['en', 9],
];
/** Residents answer in the day and the evening, rarely at night (bureau's local hour 0-23). */
const HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 5, 6, 8, 8, 6, 3];
const TEXT_SHARE = 0.1;
const OTHER_SHARE = 0.03;
const YES_SHARE = 0.22;

export interface GenerateTarget {
  survey: Pick<Survey, '_id' | 'questions'>;
  bureau: Pick<Bureau, '_id' | 'districts' | 'timezone'>;
}

export interface FactoryOptions {
  /** Last day of the window, YYYY-MM-DD in the bureau's time zone; default: yesterday there. */
  until?: string;
  /** Calendar days the responses are spread over, ending with `until`. */
  days?: number;
  /** Same seed, same responses: what makes a run repeatable and resumable. */
  seed?: string;
}

/** Picks an index with probability proportional to its weight, from cumulative weights, given r in [0, 1). */
class WeightedPick {
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(weights: readonly number[]) {
    let sum = 0;
    this.cumulative = weights.map((w) => (sum += Math.max(0, w)));
    this.total = sum;
    if (!(sum > 0)) throw new Error('WeightedPick: no positive weight');
  }

  index(r: number): number {
    const target = r * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** mulberry32: a tiny deterministic generator, so response i comes out the same in every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Popularity of a question's options: a few popular, a long tail, in an order of its own per question. */
function optionWeights(questionId: string, count: number): number[] {
  const random = prng(createHash('sha256').update(questionId).digest().readUInt32BE(0));
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const weights = new Array<number>(count).fill(0);
  order.forEach((option, rank) => (weights[option] = 1 / (rank + 1) ** 0.9));
  return weights;
}

function ratingWeights(scale: number): number[] {
  // Most residents feel fairly safe: a bump around 70 % of the scale.
  return Array.from({ length: scale }, (_, i) => Math.exp(-(((i + 1 - 0.72 * scale) / (0.25 * scale)) ** 2)) + 0.03);
}

/** Responses per day: a rush in the week after launch, a publicity push half way, more at weekends. */
function dayWeight(dayIndex: number, days: number, weekday: number): number {
  const launch = 2.5 * Math.exp(-dayIndex / 7);
  const push = 1.2 * Math.exp(-(((dayIndex - days / 2) / 4) ** 2));
  const weekend = weekday === 0 || weekday === 6 ? 1.25 : 1;
  return (0.6 + launch + push) * weekend;
}

export function addDays(day: string, delta: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + delta * DAY_MS).toISOString().slice(0, 10);
}

interface HourSlot {
  submittedAt: Date;
  day: string;
}

export interface ResponseFactory {
  /** The calendar days of the window, oldest first. */
  readonly days: readonly string[];
  /** Response number `index`: the same for the same survey, seed and window. */
  build(index: number): SurveyResponse;
}

/**
 * Builds responses whose answers the survey's own answer validator accepts: every question shown is answered
 * (optional text by about one in ten), conditions are followed, "other" comes with its text.
 */
export function createResponseFactory(target: GenerateTarget, receipts: Pick<Receipts, 'forSubmission'>, options: FactoryOptions = {}): ResponseFactory {
  const { survey, bureau } = target;
  const surveyId = String(survey._id);
  const seed = options.seed ?? DEFAULT_SEED;
  const dayCount = options.days ?? DEFAULT_DAYS;
  const until = options.until ?? addDays(calendarDay(new Date(), bureau.timezone), -1);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until)) throw new Error(`until must be a day like 2026-11-20, not "${until}"`);
  const days = Array.from({ length: dayCount }, (_, i) => addDays(until, i - dayCount + 1));

  const slots: HourSlot[] = [];
  const slotWeights: number[] = [];
  days.forEach((day, dayIndex) => {
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    for (let hour = 0; hour < 24; hour += 1) {
      const at = zonedWallTimeToDate(`${day}T${String(hour).padStart(2, '0')}:00`, bureau.timezone);
      // A wall-clock hour skipped by a daylight-saving change has no instant of its own.
      if (!at || calendarDay(at, bureau.timezone) !== day) continue;
      slots.push({ submittedAt: new Date(Math.floor(at.getTime() / 3600_000) * 3600_000), day });
      slotWeights.push(dayWeight(dayIndex, dayCount, weekday) * HOUR_WEIGHTS[hour]!);
    }
  });
  const slotPick = new WeightedPick(slotWeights);
  const districtIds = bureau.districts.map((d) => d.id);
  // Districts differ a lot in size and in how hard the survey was pushed there.
  const districtPick = districtIds.length > 0 ? new WeightedPick(districtIds.map((_, i) => 1 / (i + 1) ** 0.7)) : undefined;
  const channelPick = new WeightedPick(CHANNELS.map((c) => CHANNEL_WEIGHTS[c]));
  const localePick = new WeightedPick(LOCALE_WEIGHTS.map(([, w]) => w));
  const picks = new Map<string, WeightedPick>();
  for (const question of survey.questions) {
    if ('options' in question) picks.set(question.id, new WeightedPick(optionWeights(`${seed}:${question.id}`, question.options.length)));
    if (question.type === 'rating') picks.set(question.id, new WeightedPick(ratingWeights(question.scale)));
  }
  const districtQuestion = survey.questions.find((q) => q.type === 'district');

  function answer(question: Question, random: () => number, otherText: Record<string, string>): AnswerValue | undefined {
    const pick = picks.get(question.id);
    const withOther = 'other' in question && question.other === true;
    const other = () => {
      otherText[question.id] = OTHER_TEXTS[Math.floor(random() * OTHER_TEXTS.length)]!;
      return OTHER_OPTION_ID;
    };
    switch (question.type) {
      case 'single':
        return withOther && random() < OTHER_SHARE ? other() : question.options[pick!.index(random())]!.id;
      case 'district':
        if (districtPick && !(withOther && random() < OTHER_SHARE / 3)) return districtIds[districtPick.index(random())];
        return withOther ? other() : undefined;
      case 'yes-no':
        return random() < YES_SHARE ? 'yes' : 'no';
      case 'rating':
        return pick!.index(random()) + 1;
      case 'text': {
        if (!question.required && random() >= TEXT_SHARE) return undefined;
        const first = ADVICE[Math.floor(random() * ADVICE.length)]!;
        const text = random() < 0.3 ? `${first}；${ADVICE[Math.floor(random() * ADVICE.length)]!}` : first;
        return text.slice(0, question.maxLength);
      }
      case 'multiple':
      case 'ranking': {
        const wanted =
          question.type === 'ranking'
            ? Math.min(question.rankCount, question.options.length + (withOther ? 1 : 0))
            : // Most victims name one kind of crime, some two or three.
              Math.max(question.minSelections ?? 1, Math.min(question.maxSelections ?? question.options.length, 1 + Math.floor(-Math.log(1 - random()) * 0.6)));
        const chosen: string[] = [];
        const withOtherChosen = withOther && random() < OTHER_SHARE;
        const fromOptions = Math.min(question.options.length, wanted - (withOtherChosen ? 1 : 0));
        while (chosen.length < fromOptions) {
          const id = question.options[pick!.index(random())]!.id;
          if (!chosen.includes(id)) chosen.push(id);
        }
        if (withOtherChosen) chosen.splice(Math.floor(random() * (chosen.length + 1)), 0, other());
        return chosen;
      }
    }
  }

  return {
    days,
    build(index: number): SurveyResponse {
      const digest = createHash('sha256').update(`${seed}:${surveyId}:${index}`).digest();
      const random = prng(digest.readUInt32BE(24));
      const submissionId = digest.subarray(0, 16).toString('hex');
      const slot = slots[slotPick.index(random())]!;
      const answers: Record<string, AnswerValue> = {};
      const otherText: Record<string, string> = {};
      for (const question of survey.questions) {
        if (question.showIf && !visibleQuestionIds(survey.questions, answers).has(question.id)) continue;
        const value = answer(question, random, otherText);
        if (value !== undefined) answers[question.id] = value;
      }
      const idBytes = Buffer.alloc(12);
      idBytes.writeUInt32BE(Math.floor(slot.submittedAt.getTime() / 1000), 0);
      digest.copy(idBytes, 4, 16, 24);
      const districtAnswer = districtQuestion ? answers[districtQuestion.id] : undefined;
      return {
        _id: new Types.ObjectId(idBytes),
        survey: survey._id,
        bureau: bureau._id,
        submissionId,
        receipt: receipts.forSubmission(surveyId, submissionId),
        answers,
        otherText,
        submittedAt: slot.submittedAt,
        day: slot.day,
        district: typeof districtAnswer === 'string' && districtAnswer !== OTHER_OPTION_ID ? districtAnswer : null,
        channel: CHANNELS[channelPick.index(random())]!,
        locale: LOCALE_WEIGHTS[localePick.index(random())]![0],
        clientHash: null,
      };
    },
  };
}

export interface GenerateOptions {
  /** How many responses to add. */
  count: number;
  /** Number of the first response; default: the survey's tally total, so runs add on to earlier ones. */
  from?: number;
  batchSize?: number;
  /** Sees every response of the run (e.g. to count those a dashboard filter should find). */
  onResponse?: (response: SurveyResponse) => void;
  log?: (line: string) => void;
  /** Seconds between progress lines. */
  progressSeconds?: number;
}

export interface GenerateResult {
  from: number;
  /** Responses this run stored. */
  inserted: number;
  /** Responses already stored by an earlier, interrupted run with the same numbers (counted now). */
  alreadyStored: number;
  /** Tally total after the run. */
  tallyTotal: number;
  seconds: number;
  /** (inserted + alreadyStored) / seconds, including building the responses and writing the tally. */
  perSecond: number;
}

interface BulkWriteFailure {
  writeErrors?: { code?: number } | Array<{ code?: number }>;
}

/** Inserts one batch; responses already stored (same submission id) are not an error. */
async function insertBatch(models: Pick<Models, 'Response'>, batch: SurveyResponse[]): Promise<{ inserted: number; duplicates: number }> {
  try {
    const result = await models.Response.collection.insertMany(batch, { ordered: false });
    return { inserted: result.insertedCount, duplicates: 0 };
  } catch (error) {
    const raw = (error as BulkWriteFailure).writeErrors;
    const writeErrors = Array.isArray(raw) ? raw : raw ? [raw] : [];
    if (writeErrors.length === 0 || writeErrors.some((e) => e.code !== 11000)) throw error;
    return { inserted: batch.length - writeErrors.length, duplicates: writeErrors.length };
  }
}

/**
 * Adds `count` responses to the survey in batches (insertMany, unordered), never holding more than two
 * batches, and then adds them to its counts as one delta of the same counters the vote path keeps.
 */
export async function generateResponses(models: Pick<Models, 'Response'>, tallies: TallyService, factory: ResponseFactory, target: GenerateTarget, options: GenerateOptions): Promise<GenerateResult> {
  const surveyId = target.survey._id;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const tally = await tallies.get(surveyId);
  const from = options.from ?? tally.total;
  if (from < tally.total) throw new Error(`--from ${from} is below the tally total ${tally.total}: responses ${from}–${tally.total - 1} would be counted twice`);

  const started = performance.now();
  const sums = new TallySums(target.survey.questions);
  let inserted = 0;
  let alreadyStored = 0;
  let lastProgress = started;
  const end = from + options.count;
  const buildBatch = (first: number): SurveyResponse[] => {
    const batch: SurveyResponse[] = [];
    for (let i = first; i < Math.min(first + batchSize, end); i += 1) {
      const response = factory.build(i);
      sums.add(response);
      options.onResponse?.(response);
      batch.push(response);
    }
    return batch;
  };

  // The database stores one batch while this process builds the next.
  let pending: Promise<{ inserted: number; duplicates: number }> | undefined;
  for (let first = from; first < end || pending; first += batchSize) {
    const batch = first < end ? buildBatch(first) : [];
    if (pending) {
      const done = await pending;
      inserted += done.inserted;
      alreadyStored += done.duplicates;
      pending = undefined;
    }
    if (batch.length > 0) pending = insertBatch(models, batch);
    const now = performance.now();
    if (now - lastProgress >= (options.progressSeconds ?? 5) * 1000) {
      lastProgress = now;
      const done = inserted + alreadyStored;
      log(`  ${done.toLocaleString('en')} / ${options.count.toLocaleString('en')} responses · ${Math.round(done / ((now - started) / 1000)).toLocaleString('en')}/s`);
    }
  }

  if (options.count > 0) {
    await tallies.addSeeded(surveyId, sums);
    // Folded now, as a stream of votes would have been: readers would otherwise add one delta of the whole
    // batch (every day's slices) to every read until maintenance folds it a minute later.
    await tallies.fold(surveyId);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await tallies.get(surveyId);
  const result = { from, inserted, alreadyStored, tallyTotal: after.total, seconds, perSecond: (inserted + alreadyStored) / seconds };
  log(
    `  added ${(inserted + alreadyStored).toLocaleString('en')} responses (#${from.toLocaleString('en')}–#${(end - 1).toLocaleString('en')}; ${alreadyStored} were already stored) in ${seconds.toFixed(1)} s: ` +
      `${Math.round(result.perSecond).toLocaleString('en')} responses/s · tally total ${result.tallyTotal.toLocaleString('en')}`,
  );
  return result;
}

/** `tsx bench/generate-responses.ts --survey <bureau>/<survey> --count N [--from N] [--until YYYY-MM-DD] [--seed s]` */
async function main(): Promise<number> {
  const { parseFlags, withDatabase } = await import('../scripts/with-database.js');
  const flags = parseFlags(process.argv.slice(2));
  const [bureauSlug, surveySlug] = (flags.get('survey') ?? '').split('/');
  const count = Number(flags.get('count'));
  if (!bureauSlug || !surveySlug || !Number.isInteger(count) || count < 1) {
    process.stderr.write('Usage: tsx bench/generate-responses.ts --survey <bureau>/<survey> --count N [--from N] [--until YYYY-MM-DD] [--seed s] [--batch 5000]\n');
    return 2;
  }
  return withDatabase(async (container) => {
    const found = await container.directory.find(bureauSlug, surveySlug);
    if (!found) {
      process.stderr.write(`No survey ${bureauSlug}/${surveySlug}.\n`);
      return 1;
    }
    const factoryOptions = { until: flags.get('until'), seed: flags.get('seed') };
    const factory = createResponseFactory(found, container.receipts, factoryOptions);
    // Printed so an interrupted run can be finished with exactly the same responses on another day.
    process.stdout.write(`responses over ${factory.days[0]} … ${factory.days[factory.days.length - 1]} (--until ${factory.days[factory.days.length - 1]})\n`);
    await generateResponses(container.models, container.tallies, factory, found, {
      count,
      from: flags.has('from') ? Number(flags.get('from')) : undefined,
      batchSize: flags.has('batch') ? Number(flags.get('batch')) : undefined,
    });
    return 0;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`generate-responses failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
