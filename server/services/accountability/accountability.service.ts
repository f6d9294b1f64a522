/**
 * "You said, we did": the actions a bureau records in answer to what residents said, and the figures of its
 * public accountability page (advice received, time to reply, replies within the deadline, satisfaction).
 * Small-cell protection as on results pages: below the threshold, shares and medians are withheld.
 */
import { Types } from 'mongoose';
import { NotFoundError, ValidationError, type FieldProblem } from '../../errors/index.js';
import type { AdviceItem, SatisfactionVote } from '../../models/advice.model.js';
import type { Bureau } from '../../models/bureau.model.js';
import { ACTION_STATUSES, type AccountabilityAction, type ActionEvidence, type ActionStatus } from '../../models/concern.model.js';
import type { Models } from '../../models/index.js';
import type { LocalizedText, Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import type { ConcernsService } from '../concerns/concerns.service.js';
import { questionResults, type QuestionResult } from '../dashboards/question-results.js';
import { smallCellProtected, wilsonInterval } from '../dashboards/statistics.js';
import type { TallyService } from '../tallies/tally.service.js';
import { zonedWallTimeToDate } from '../surveys/zoned-time.js';
import { effectiveStatus } from '../voting/survey-availability.js';
import { calendarMonth } from '../advice/working-days.js';

const DAY_MS = 86_400_000;
const MONTHS_SHOWN = 12;
/**
 * The public page is open to anyone, and a concern's evidence reads every text of the bureau: each piece is
 * computed at most once a minute per bureau or action (concurrent requests share one computation).
 */
const PUBLIC_CACHE_MS = 60_000;

class MinuteCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  get(key: string, make: () => Promise<T>, now = Date.now()): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && now - hit.at < PUBLIC_CACHE_MS) return hit.value;
    if (this.entries.size > 1000) this.entries.clear();
    const value = make();
    this.entries.set(key, { at: now, value });
    // A failed computation is not kept: the next request tries again.
    value.catch(() => this.entries.delete(key));
    return value;
  }
}

export interface ActionInput {
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  status: string;
  startedOn: string;
  endedOn: string;
  /** `concern:<id>` or `question:<survey id>:<question id>`. */
  evidence: string;
}

export interface ShareFigure {
  n: number;
  successes: number;
  /** null below the small-cell threshold. */
  share: number | null;
  low: number | null;
  high: number | null;
}

export interface AdviceFigures {
  categories: Array<{ id: string; name: LocalizedText }>;
  months: Array<{ month: string; total: number; counts: number[] }>;
  received: number;
  reply: { n: number; medianDays: number | null };
  deadline: ShareFigure;
  satisfaction: ShareFigure & { counts: Record<SatisfactionVote['rating'], number> };
}

export type WaveResult = { survey: LocalizedText; closed: boolean; public: true; result: QuestionResult } | { survey: LocalizedText; closed: boolean; public: false };

export type EvidenceView =
  | { kind: 'concern'; concern: string; name: LocalizedText; mentions: number; weeks: number; quotes: Array<{ text: string; at: Date }> }
  | { kind: 'question'; question: LocalizedText; before: WaveResult; after: WaveResult | null }
  | { kind: 'missing' };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const validDay = (value: string) => {
  const date = new Date(`${value}T00:00:00Z`);
  return DAY.test(value) && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
};

function shareFigure(successes: number, n: number, smallCellMin: number): ShareFigure {
  const hidden = n === 0 || smallCellProtected(n, smallCellMin);
  const interval = hidden ? null : wilsonInterval(successes, n);
  return { n, successes, share: hidden ? null : successes / n, low: interval?.low ?? null, high: interval?.high ?? null };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Whether residents may read the survey's results now (the same rule as its public results page). */
function resultsArePublic(survey: Pick<Survey, 'settings' | 'status' | 'opensAt' | 'closesAt'>, now: Date): { visible: boolean; closed: boolean } {
  const status = effectiveStatus(survey, now);
  const closed = status === 'closed' || status === 'archived';
  const policy = survey.settings.publicResults;
  return { visible: (status === 'open' || closed) && (policy === 'always' || (policy === 'after-close' && closed)), closed };
}

export class AccountabilityService {
  private readonly figuresCache = new MinuteCache<AdviceFigures>();
  private readonly concernCache = new MinuteCache<EvidenceView>();

  constructor(
    private readonly models: Models,
    private readonly deps: { tallies: TallyService; concerns: ConcernsService; smallCellMin: number },
  ) {}

  list(bureau: Types.ObjectId): Promise<AccountabilityAction[]> {
    return this.models.AccountabilityAction.find({ bureau }).sort({ startedOn: -1, _id: -1 }).lean<AccountabilityAction[]>();
  }

  async get(bureau: Types.ObjectId, id: string): Promise<AccountabilityAction> {
    const action = Types.ObjectId.isValid(id) && /^[a-f0-9]{24}$/.test(id) ? await this.models.AccountabilityAction.findOne({ _id: new Types.ObjectId(id), bureau }).lean<AccountabilityAction>() : null;
    if (!action) throw new NotFoundError();
    return action;
  }

  /** What an action may be linked to: the bureau's concerns, and the choice, rating and ranking questions of its published surveys. */
  async evidenceChoices(bureau: Types.ObjectId) {
    const concerns = await this.deps.concerns.choices(bureau);
    const surveys = await this.models.Survey.find({ bureau, status: { $ne: 'draft' } }, { title: 1, questions: 1, createdAt: 1 }).sort({ createdAt: -1 }).lean<Array<Pick<Survey, '_id' | 'title' | 'questions'>>>();
    return {
      concerns: concerns.map((c) => ({ value: `concern:${c.id}`, name: c.name })),
      questions: surveys.flatMap((s) => s.questions.filter((q) => q.type !== 'text').map((q) => ({ value: `question:${String(s._id)}:${q.id}`, survey: s.title, question: q.title }))),
    };
  }

  private async parseInput(bureau: Types.ObjectId, input: ActionInput): Promise<Omit<AccountabilityAction, '_id' | 'bureau' | 'createdBy' | 'createdAt' | 'updatedAt'>> {
    const problems: FieldProblem[] = [];
    const text = (value: unknown, max: number) => (typeof value === 'string' ? value.trim().slice(0, max) : '');
    const title = { 'zh-CN': text(input.titleZh, 120), en: text(input.titleEn, 120) };
    const body = { 'zh-CN': text(input.bodyZh, 2000), en: text(input.bodyEn, 2000) };
    if (!title['zh-CN'] && !title.en) problems.push({ pointer: '/title', message: 'Give the action a title (in Chinese, English or both).', reason: 'title' });
    if (!body['zh-CN'] && !body.en) problems.push({ pointer: '/body', message: 'Say what was done.', reason: 'body' });
    const status = (ACTION_STATUSES as readonly string[]).includes(input.status) ? (input.status as ActionStatus) : null;
    if (!status) problems.push({ pointer: '/status', message: 'Choose a status.', reason: 'status' });
    const startedOn = text(input.startedOn, 10);
    if (!validDay(startedOn)) problems.push({ pointer: '/startedOn', message: 'Give the day the action started (YYYY-MM-DD).', reason: 'startedOn' });
    const endedOn = text(input.endedOn, 10) || null;
    if (endedOn && (!validDay(endedOn) || endedOn < startedOn)) problems.push({ pointer: '/endedOn', message: 'The end day must be a date on or after the start.', reason: 'endedOn' });
    const evidence = await this.parseEvidence(bureau, text(input.evidence, 200));
    if (!evidence) problems.push({ pointer: '/evidence', message: 'Choose the concern or the survey question that prompted the action.', reason: 'evidence' });
    if (problems.length > 0) throw new ValidationError(problems);
    return { title, body, status: status!, startedOn, endedOn, evidence: evidence! };
  }

  private async parseEvidence(bureau: Types.ObjectId, value: string): Promise<ActionEvidence | null> {
    const concern = /^concern:([a-z0-9-]{1,60})$/.exec(value);
    if (concern) return (await this.deps.concerns.exists(bureau, concern[1]!)) ? { kind: 'concern', concern: concern[1]! } : null;
    const question = /^question:([a-f0-9]{24}):([\w-]{1,60})$/.exec(value);
    if (!question) return null;
    const survey = await this.models.Survey.findOne({ _id: new Types.ObjectId(question[1]!), bureau }, { questions: 1, status: 1 }).lean<Pick<Survey, 'questions' | 'status'>>();
    if (!survey || survey.status === 'draft' || !survey.questions.some((q) => q.id === question[2] && q.type !== 'text')) return null;
    return { kind: 'question', survey: new Types.ObjectId(question[1]!), question: question[2]! };
  }

  async create(bureau: Types.ObjectId, input: ActionInput, createdBy: string): Promise<AccountabilityAction> {
    const fields = await this.parseInput(bureau, input);
    const now = new Date();
    const created = await this.models.AccountabilityAction.create({ ...fields, bureau, createdBy, createdAt: now, updatedAt: now });
    return created.toObject() as AccountabilityAction;
  }

  async update(bureau: Types.ObjectId, id: string, input: ActionInput): Promise<AccountabilityAction> {
    const existing = await this.get(bureau, id);
    const fields = await this.parseInput(bureau, input);
    await this.models.AccountabilityAction.updateOne({ _id: existing._id, bureau }, { $set: { ...fields, updatedAt: new Date() } });
    return { ...existing, ...fields };
  }

  async remove(bureau: Types.ObjectId, id: string): Promise<AccountabilityAction> {
    const existing = await this.get(bureau, id);
    await this.models.AccountabilityAction.deleteOne({ _id: existing._id, bureau });
    return existing;
  }

  adviceFigures(bureau: Pick<Bureau, '_id' | 'timezone' | 'adviceCategories'>, now = new Date()): Promise<AdviceFigures> {
    return this.figuresCache.get(String(bureau._id), () => this.computeAdviceFigures(bureau, now));
  }

  private async computeAdviceFigures(bureau: Pick<Bureau, '_id' | 'timezone' | 'adviceCategories'>, now: Date): Promise<AdviceFigures> {
    const min = this.deps.smallCellMin;
    const items = await this.models.AdviceItem.find({ bureau: bureau._id }, { category: 1, receivedAt: 1, dueAt: 1, repliedAt: 1 }).lean<Array<Pick<AdviceItem, 'category' | 'receivedAt' | 'dueAt' | 'repliedAt'>>>();
    const votes = await this.models.SatisfactionVote.find({ bureau: bureau._id }, { rating: 1 }).lean<Array<Pick<SatisfactionVote, 'rating'>>>();
    const categories = bureau.adviceCategories.map((c) => ({ id: c.id, name: c.name }));
    const categoryIndex = new Map(categories.map((c, i) => [c.id, i]));
    // The last twelve months, this one included, in the bureau's calendar.
    const monthKeys: string[] = [];
    for (let back = 0, probe = now.getTime(); monthKeys.length < MONTHS_SHOWN && back < 400; back += 1, probe -= DAY_MS) {
      const key = calendarMonth(new Date(probe), bureau.timezone);
      if (!monthKeys.includes(key)) monthKeys.push(key);
    }
    const months = new Map(monthKeys.map((m) => [m, { month: m, total: 0, counts: categories.map(() => 0) }]));
    const replyDays: number[] = [];
    let due = 0;
    let inTime = 0;
    for (const item of items) {
      const month = months.get(calendarMonth(item.receivedAt, bureau.timezone));
      if (month) {
        month.total += 1;
        const at = categoryIndex.get(item.category);
        if (at !== undefined) month.counts[at]! += 1;
      }
      if (item.repliedAt) replyDays.push((item.repliedAt.getTime() - item.receivedAt.getTime()) / DAY_MS);
      // Cases still within their deadline are not counted either way yet.
      if (item.repliedAt || item.dueAt.getTime() < now.getTime()) {
        due += 1;
        if (item.repliedAt && item.repliedAt.getTime() <= item.dueAt.getTime()) inTime += 1;
      }
    }
    const counts = { satisfied: 0, 'basically-satisfied': 0, dissatisfied: 0 };
    for (const vote of votes) counts[vote.rating] += 1;
    return {
      categories,
      months: [...months.values()],
      received: items.length,
      reply: { n: replyDays.length, medianDays: replyDays.length === 0 || smallCellProtected(replyDays.length, min) ? null : Math.round(median(replyDays) * 10) / 10 },
      deadline: shareFigure(inTime, due, min),
      satisfaction: { ...shareFigure(counts.satisfied + counts['basically-satisfied'], votes.length, min), counts },
    };
  }

  private async waveResult(bureau: Pick<Bureau, 'districts'>, survey: Survey, question: Question, now: Date): Promise<WaveResult> {
    const { visible, closed } = resultsArePublic(survey, now);
    if (!visible) return { survey: survey.title, closed, public: false };
    const tally = await this.deps.tallies.get(survey._id);
    const [result] = questionResults({ questions: [question], bureau, total: tally?.total ?? 0, tallies: tally?.questions ?? {}, smallCellThreshold: this.deps.smallCellMin });
    return { survey: survey.title, closed, public: true, result: result! };
  }

  /** The evidence that prompted an action, as residents may see it: counts, approved quotes, public results only. */
  async evidence(bureau: Pick<Bureau, '_id' | 'districts' | 'timezone'>, action: AccountabilityAction, now = new Date()): Promise<EvidenceView> {
    const evidence = action.evidence;
    if (evidence.kind === 'concern') {
      // The start of the action's first day in the bureau's time zone.
      const started = zonedWallTimeToDate(`${action.startedOn}T00:00`, bureau.timezone) ?? new Date(`${action.startedOn}T00:00:00Z`);
      const weeks = 8;
      return this.concernCache.get(`${String(action._id)}:${action.updatedAt.getTime()}:${evidence.concern}`, async () => ({
        kind: 'concern',
        concern: evidence.concern,
        name: await this.deps.concerns.nameOf(bureau._id, evidence.concern),
        mentions: await this.deps.concerns.mentionsBefore(bureau._id, evidence.concern, started, weeks),
        weeks,
        quotes: await this.deps.concerns.publicQuotes(bureau._id, evidence.concern),
      }));
    }
    const survey = await this.models.Survey.findOne({ _id: evidence.survey, bureau: bureau._id }).lean<Survey>();
    const question = survey?.questions.find((q) => q.id === evidence.question);
    if (!survey || !question) return { kind: 'missing' };
    const before = await this.waveResult(bureau, survey, question, now);
    let after: WaveResult | null = null;
    if (survey.template) {
      // The next wave: a later survey of the same template in this bureau that asks the same question.
      const later = await this.models.Survey.find({ bureau: bureau._id, template: survey.template, status: { $ne: 'draft' } }).sort({ createdAt: 1 }).lean<Survey[]>();
      const next = later.find((s) => s.createdAt.getTime() > survey.createdAt.getTime() && !s._id.equals(survey._id) && s.questions.some((q) => q.id === question.id && q.type === question.type));
      if (next) after = await this.waveResult(bureau, next, next.questions.find((q) => q.id === question.id)!, now);
    }
    return { kind: 'question', question: question.title, before, after };
  }
}
