/**
 * The main concerns of a bureau's residents: texts from survey free-text and "other" answers, the advice box
 * and imported microblog posts, matched against the shipped vocabulary with the bureau's own overlay (names,
 * merges, pins, concerns of its own). Everything is computed here, on the server: no text leaves the bureau.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { insertKeyed } from '../../db/keyed-writes.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Logger } from '../../logging/logger.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { ConcernOverlay } from '../../models/concern.model.js';
import type { Models } from '../../models/index.js';
import type { LocalizedText } from '../../models/survey-definition.types.js';
import { analyseConcerns, type ConcernAnalysis, type ConcernCount, type ConcernSource, type ConcernText } from './concern-analysis.js';
import { ConcernMatcher } from './concern-matcher.js';
import { parsePostUpload, type ImportedPost } from './post-import.js';
import { createTokenizer, normalizeText, type Tokenizer } from './tokenizer.js';
import type { ConcernDefinition } from './vocabulary.js';

const DAY_MS = 86_400_000;
export const CONCERN_TEXTS_PAGE = 50;
const IMPORT_CHUNK = 2000;

export interface ConcernRow extends Omit<ConcernCount, 'texts'> {
  name: LocalizedText;
  domain: ConcernDefinition['domain'];
  pinned: boolean;
  renamed: boolean;
  /** Concerns merged into this one. */
  merged: Array<{ id: string; name: LocalizedText }>;
  samples: ConcernText[];
}

export interface ConcernsOverview {
  total: number;
  matched: number;
  since: Date | null;
  segmenter: Tokenizer['kind'];
  concerns: ConcernRow[];
  emerging: ConcernAnalysis['emerging'];
}

export interface OverviewOptions {
  now?: Date;
  /** Only texts of the last this many weeks; null: all. */
  weeks?: number | null;
  source?: ConcernSource | null;
}

interface ResolvedVocabulary {
  definitions: ConcernDefinition[];
  byId: Map<string, ConcernDefinition>;
  overlays: Map<string, ConcernOverlay>;
  /** Concern id → the id its texts count for, following merges. */
  target(id: string): string;
  name(id: string): LocalizedText;
}

export class ConcernsService {
  private tokenizer: Promise<Tokenizer> | undefined;
  private readonly matchers = new Map<string, ConcernMatcher>();

  constructor(
    private readonly models: Models,
    private readonly options: { secret: string; vocabulary: ConcernDefinition[]; logger?: Logger; forceFallback?: boolean },
  ) {}

  /** The segmenter, made on first use (jieba's dictionary takes a quarter of a second to load). */
  segmenter(): Promise<Tokenizer> {
    this.tokenizer ??= createTokenizer({ words: ConcernMatcher.terms(this.options.vocabulary), logger: this.options.logger, forceFallback: this.options.forceFallback });
    return this.tokenizer;
  }

  private async vocabulary(bureau: Types.ObjectId): Promise<ResolvedVocabulary> {
    const overlays = new Map((await this.models.ConcernOverlay.find({ bureau }).lean<ConcernOverlay[]>()).map((o) => [o.concern, o]));
    const custom: ConcernDefinition[] = [...overlays.values()]
      .filter((o) => o.terms && o.terms.length > 0)
      .sort((a, b) => a.concern.localeCompare(b.concern))
      .map((o) => ({ id: o.concern, domain: 'custom', name: o.name ?? { 'zh-CN': o.terms![0]!, en: o.terms![0]! }, phrases: o.terms!, groups: [] }));
    const definitions = [...this.options.vocabulary, ...custom];
    const byId = new Map(definitions.map((d) => [d.id, d]));
    const target = (id: string) => {
      let current = id;
      for (let step = 0; step < 20; step += 1) {
        const next = overlays.get(current)?.mergedInto;
        if (!next || !byId.has(next)) return current;
        current = next;
      }
      return id;
    };
    const name = (id: string) => {
      const own = overlays.get(id)?.name;
      const base = byId.get(id)?.name ?? { 'zh-CN': id, en: id };
      return { 'zh-CN': own?.['zh-CN'] || base['zh-CN'], en: own?.en || base.en };
    };
    return { definitions, byId, overlays, target, name };
  }

  private async matcherFor(vocabulary: ResolvedVocabulary): Promise<ConcernMatcher> {
    const tokenizer = await this.segmenter();
    const key = vocabulary.definitions.map((d) => (d.domain === 'custom' ? `${d.id}=${d.phrases.join('|')}` : d.id)).join(',');
    let matcher = this.matchers.get(key);
    if (!matcher) {
      matcher = new ConcernMatcher(vocabulary.definitions, tokenizer);
      if (this.matchers.size > 200) this.matchers.clear();
      this.matchers.set(key, matcher);
    }
    return matcher;
  }

  /** Every text of the bureau, from the three sources, optionally since a moment and from one source. */
  async texts(bureau: Types.ObjectId, options: { since?: Date | null; source?: ConcernSource | null } = {}): Promise<ConcernText[]> {
    const texts: ConcernText[] = [];
    const since = options.since ?? null;
    const wants = (source: ConcernSource) => !options.source || options.source === source;
    if (wants('survey')) {
      const surveys = await this.models.Survey.find({ bureau }, { questions: 1 }).lean();
      const textQuestions = new Map(surveys.map((s) => [String(s._id), s.questions.filter((q) => q.type === 'text').map((q) => q.id)]));
      const filter: Record<string, unknown> = { bureau };
      if (since) filter.submittedAt = { $gte: since };
      const cursor = this.models.Response.find(filter, { survey: 1, answers: 1, otherText: 1, submittedAt: 1, district: 1 }).lean().cursor();
      for await (const response of cursor) {
        const ids = textQuestions.get(String(response.survey)) ?? [];
        const add = (key: string, value: unknown) => {
          if (typeof value === 'string' && value.trim()) texts.push({ id: `survey:${String(response._id)}:${key}`, source: 'survey', text: value, at: response.submittedAt, district: response.district ?? null });
        };
        for (const id of ids) add(id, response.answers?.[id]);
        for (const [id, value] of Object.entries(response.otherText ?? {})) add(`other-${id}`, value);
      }
    }
    if (wants('advice')) {
      const filter: Record<string, unknown> = { bureau };
      if (since) filter.receivedAt = { $gte: since };
      for (const item of await this.models.AdviceItem.find(filter, { text: 1, receivedAt: 1, district: 1 }).lean()) {
        texts.push({ id: `advice:${item._id}`, source: 'advice', text: item.text, at: item.receivedAt, district: item.district ?? null });
      }
    }
    if (wants('microblog')) {
      const filter: Record<string, unknown> = { bureau };
      if (since) filter.postedAt = { $gte: since };
      for (const post of await this.models.MicroblogPost.find(filter, { text: 1, postedAt: 1, district: 1 }).lean()) {
        texts.push({ id: `microblog:${post._id}`, source: 'microblog', text: post.text, at: post.postedAt, district: post.district ?? null });
      }
    }
    return texts;
  }

  /** Analyses texts already loaded (the bench and tests time this part alone). */
  async analyse(bureau: Types.ObjectId, texts: readonly ConcernText[], now = new Date()): Promise<{ analysis: ConcernAnalysis; vocabulary: ResolvedVocabulary }> {
    const vocabulary = await this.vocabulary(bureau);
    const matcher = await this.matcherFor(vocabulary);
    const analysis = analyseConcerns(texts, matcher, { now, countsFor: (index) => vocabulary.target(vocabulary.definitions[index]!.id) });
    return { analysis, vocabulary };
  }

  async overview(bureau: Pick<Bureau, '_id'>, options: OverviewOptions = {}): Promise<ConcernsOverview> {
    const now = options.now ?? new Date();
    const since = options.weeks ? new Date(now.getTime() - options.weeks * 7 * DAY_MS) : null;
    const texts = await this.texts(bureau._id, { since, source: options.source });
    const { analysis, vocabulary } = await this.analyse(bureau._id, texts, now);
    const rows = new Map<string, ConcernRow>();
    const row = (id: string, counted?: ConcernCount): ConcernRow => {
      const overlay = vocabulary.overlays.get(id);
      const { texts: indexes = [], ...counts } = counted ?? { id, count: 0, thisWeek: 0, lastWeek: 0, byDistrict: [], bySource: { survey: 0, advice: 0, microblog: 0 }, texts: [] };
      return {
        ...counts,
        name: vocabulary.name(id),
        domain: vocabulary.byId.get(id)?.domain ?? 'custom',
        pinned: overlay?.pinned ?? false,
        renamed: Boolean(overlay?.name),
        merged: [...vocabulary.overlays.values()].filter((o) => o.mergedInto && vocabulary.target(o.concern) === id && o.concern !== id).map((o) => ({ id: o.concern, name: vocabulary.name(o.concern) })),
        // The newest three different texts: a demo or a campaign repeats the same words many times.
        samples: [...new Map(indexes.slice(0, 200).map((i) => [texts[i]!.text.trim(), texts[i]!] as const)).values()].slice(0, 3),
      };
    };
    for (const counted of analysis.concerns) rows.set(counted.id, row(counted.id, counted));
    // Pinned concerns stay on the list even in a week nobody mentions them.
    for (const overlay of vocabulary.overlays.values()) {
      if (overlay.pinned && vocabulary.target(overlay.concern) === overlay.concern && !rows.has(overlay.concern)) rows.set(overlay.concern, row(overlay.concern));
    }
    const concerns = [...rows.values()].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.count - a.count || a.id.localeCompare(b.id));
    return { total: analysis.total, matched: analysis.matched, since, segmenter: (await this.segmenter()).kind, concerns, emerging: analysis.emerging };
  }

  /** One concern with all its texts, newest first, a page at a time. */
  async concern(bureau: Pick<Bureau, '_id'>, id: string, options: OverviewOptions & { page?: number } = {}) {
    const overview = await this.overviewWithTexts(bureau, options);
    const found = overview.rows.get(id);
    if (!found) throw new NotFoundError();
    const page = Math.max(1, options.page ?? 1);
    const start = (page - 1) * CONCERN_TEXTS_PAGE;
    return { ...found.row, total: found.indexes.length, page, hasMore: start + CONCERN_TEXTS_PAGE < found.indexes.length, texts: found.indexes.slice(start, start + CONCERN_TEXTS_PAGE).map((i) => overview.texts[i]!) };
  }

  private async overviewWithTexts(bureau: Pick<Bureau, '_id'>, options: OverviewOptions) {
    const now = options.now ?? new Date();
    const since = options.weeks ? new Date(now.getTime() - options.weeks * 7 * DAY_MS) : null;
    const texts = await this.texts(bureau._id, { since, source: options.source });
    const { analysis, vocabulary } = await this.analyse(bureau._id, texts, now);
    const rows = new Map<string, { row: Omit<ConcernCount, 'texts'> & { name: LocalizedText; pinned: boolean; merged: Array<{ id: string; name: LocalizedText }> }; indexes: number[] }>();
    const extra = (id: string) => ({
      name: vocabulary.name(id),
      pinned: vocabulary.overlays.get(id)?.pinned ?? false,
      merged: [...vocabulary.overlays.values()].filter((o) => o.mergedInto && o.concern !== id && vocabulary.target(o.concern) === id).map((o) => ({ id: o.concern, name: vocabulary.name(o.concern) })),
    });
    for (const { texts: indexes, ...counts } of analysis.concerns) rows.set(counts.id, { row: { ...counts, ...extra(counts.id) }, indexes });
    for (const definition of vocabulary.definitions) {
      if (!rows.has(definition.id) && vocabulary.target(definition.id) === definition.id) {
        rows.set(definition.id, { row: { id: definition.id, count: 0, thisWeek: 0, lastWeek: 0, byDistrict: [], bySource: { survey: 0, advice: 0, microblog: 0 }, ...extra(definition.id) }, indexes: [] });
      }
    }
    return { rows, texts };
  }

  /** Concerns staff may link an action to: every concern not merged into another, by name. */
  async choices(bureau: Types.ObjectId): Promise<Array<{ id: string; name: LocalizedText }>> {
    const vocabulary = await this.vocabulary(bureau);
    return vocabulary.definitions.filter((d) => vocabulary.target(d.id) === d.id).map((d) => ({ id: d.id, name: vocabulary.name(d.id) }));
  }

  async exists(bureau: Types.ObjectId, id: string): Promise<boolean> {
    return (await this.vocabulary(bureau)).byId.has(id);
  }

  async nameOf(bureau: Types.ObjectId, id: string): Promise<LocalizedText> {
    return (await this.vocabulary(bureau)).name(id);
  }

  /** How many texts spoke of the concern (after merges) in the weeks before a day: the evidence for an action. */
  async mentionsBefore(bureau: Types.ObjectId, id: string, before: Date, weeks = 8): Promise<number> {
    const texts = (await this.texts(bureau, { since: new Date(before.getTime() - weeks * 7 * DAY_MS) })).filter((t) => t.at < before);
    const { analysis } = await this.analyse(bureau, texts, before);
    return analysis.concerns.find((c) => c.id === id)?.count ?? 0;
  }

  /** Advice texts of the concern that residents allowed to be published and staff approved: the only ones public pages quote. */
  async publicQuotes(bureau: Types.ObjectId, id: string, limit = 3): Promise<Array<{ text: string; at: Date }>> {
    const approved = await this.models.AdviceItem.find({ bureau, publicApproved: true, publishConsent: true }, { text: 1, receivedAt: 1, district: 1 }).lean();
    const texts: ConcernText[] = approved.map((item) => ({ id: `advice:${item._id}`, source: 'advice', text: item.text, at: item.receivedAt, district: item.district ?? null }));
    const { analysis } = await this.analyse(bureau, texts);
    return (analysis.concerns.find((c) => c.id === id)?.texts ?? []).slice(0, limit).map((i) => ({ text: texts[i]!.text, at: texts[i]!.at }));
  }

  private async overlay(bureau: Types.ObjectId, id: string): Promise<ConcernOverlay | null> {
    return this.models.ConcernOverlay.findById(`${bureau}:${id}`).lean<ConcernOverlay>();
  }

  private async save(bureau: Types.ObjectId, id: string, change: Partial<Pick<ConcernOverlay, 'name' | 'mergedInto' | 'pinned' | 'terms'>>): Promise<void> {
    await this.models.ConcernOverlay.updateOne(
      { _id: `${bureau}:${id}` },
      { $set: { ...change, updatedAt: new Date() }, $setOnInsert: { bureau, concern: id, ...('pinned' in change ? {} : { pinned: false }), ...('mergedInto' in change ? {} : { mergedInto: null }), ...('name' in change ? {} : { name: null }), ...('terms' in change ? {} : { terms: null }) } },
      { upsert: true },
    );
  }

  private async known(bureau: Types.ObjectId, id: string): Promise<ResolvedVocabulary> {
    const vocabulary = await this.vocabulary(bureau);
    if (!vocabulary.byId.has(id)) throw new NotFoundError();
    return vocabulary;
  }

  /** A bureau's own name for a concern; empty names restore the vocabulary's. */
  async rename(bureau: Types.ObjectId, id: string, name: { 'zh-CN': string; en: string }): Promise<void> {
    await this.known(bureau, id);
    const clean = { 'zh-CN': name['zh-CN'].trim().slice(0, 60), en: name.en.trim().slice(0, 60) };
    await this.save(bureau, id, { name: clean['zh-CN'] || clean.en ? clean : null });
  }

  async merge(bureau: Types.ObjectId, id: string, into: string): Promise<void> {
    const vocabulary = await this.known(bureau, id);
    if (!vocabulary.byId.has(into)) throw new ValidationError([{ pointer: '/into', message: 'Choose a concern to merge into.' }]);
    if (vocabulary.target(into) === id || into === id) throw new ConflictError('A concern cannot be merged into itself or into a concern merged into it.');
    await this.save(bureau, id, { mergedInto: vocabulary.target(into), pinned: false });
  }

  async unmerge(bureau: Types.ObjectId, id: string): Promise<void> {
    await this.known(bureau, id);
    await this.save(bureau, id, { mergedInto: null });
  }

  async pin(bureau: Types.ObjectId, id: string, pinned: boolean): Promise<void> {
    const vocabulary = await this.known(bureau, id);
    if (pinned && vocabulary.target(id) !== id) throw new ConflictError('A merged concern cannot be pinned; pin the one it was merged into.');
    await this.save(bureau, id, { pinned });
  }

  /** A concern of the bureau's own, found by a word (e.g. one of the emerging words). */
  async addConcern(bureau: Types.ObjectId, term: string, name?: { 'zh-CN': string; en: string }): Promise<string> {
    const word = normalizeText(term).trim().slice(0, 30);
    if (!word || (await this.segmenter()).tokens(word).length === 0) throw new ValidationError([{ pointer: '/term', message: 'Give a word or phrase of at least one letter or character.' }]);
    const id = `own-${createHmac('sha256', 'concern-id').update(word).digest('hex').slice(0, 10)}`;
    if (await this.overlay(bureau, id)) throw new ConflictError('The bureau already has a concern for this word.');
    await this.save(bureau, id, { terms: [word], name: name && (name['zh-CN'] || name.en) ? name : { 'zh-CN': word, en: word } });
    return id;
  }

  /** Stores the posts of an upload; posts already imported (same text and time) are skipped, not doubled. */
  async importPosts(bureau: Pick<Bureau, '_id' | 'districts' | 'timezone'>, body: Buffer, now = new Date()): Promise<{ received: number; added: number; duplicates: number; batch: string }> {
    return this.addPosts(bureau, parsePostUpload(body, bureau, now), now);
  }

  /** Stores checked posts (an upload, the demo); each post once, whoever sends it again. */
  async addPosts(bureau: Pick<Bureau, '_id'>, posts: readonly ImportedPost[], now = new Date()): Promise<{ received: number; added: number; duplicates: number; batch: string }> {
    const batch = randomBytes(8).toString('hex');
    const documents = posts.map((post) => ({ _id: this.postId(bureau._id, post.text, post.postedAt), bureau: bureau._id, text: post.text, postedAt: post.postedAt, district: post.district, batch, importedAt: now }));
    // The same post twice in one file is one post.
    const unique = [...new Map(documents.map((d) => [d._id, d])).values()];
    let existing = 0;
    for (let start = 0; start < unique.length; start += IMPORT_CHUNK) {
      let attempts = 0;
      const duplicates = await insertKeyed(this.models.MicroblogPost.collection, unique.slice(start, start + IMPORT_CHUNK), undefined, { stopped: () => (attempts += 1) > 3 });
      existing += duplicates.size;
    }
    return { received: posts.length, added: unique.length - existing, duplicates: posts.length - unique.length + existing, batch };
  }

  /** Keyed, so the stored ids do not let anyone test whether a given post was imported without the secret. */
  postId(bureau: Types.ObjectId, text: string, postedAt: Date): string {
    return createHmac('sha256', this.options.secret).update(`microblog\u0000${String(bureau)}\u0000${postedAt.toISOString()}\u0000${text}`).digest('base64url').slice(0, 32);
  }
}
