/**
 * Reads a survey's counts and folds its deltas into snapshots. Counts are never updated in place: each
 * batch of votes is a delta inserted under its own key (TallyWriter), and a fold inserts the next version
 * of the tally and of each day's slice, recording which batches it added. Every step is an insert whose key
 * makes it happen at most once, so any number of Minyi processes may write and fold the same survey, and a
 * write whose fate is unknown is simply tried again: FerretDB 1.24 and MongoDB alike.
 *
 * A reader reads the deltas first and the newest snapshot second, then adds the deltas that snapshot has
 * not folded. A delta is deleted only after a snapshot that folds it was written, so whichever way a fold
 * interleaves, each batch is counted once. A replaced version is emptied, not deleted, until no fold can
 * still be about to write its number (see MAX_FOLD_MS), so a number is never taken twice.
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { WriteConcernSettings } from 'mongodb';
import type { Models } from '../../models/index.js';
import { deltaId, type TallyDelta } from '../../models/tally-delta.model.js';
import { counterKey, snapshotId, type FoldedBatches, type TallySnapshot } from '../../models/tally-snapshot.model.js';
import type { CounterTree, DaySlice, IntegrityCounters, Tally } from '../../models/tally.model.js';
import type { DatabaseHealth, ReadCheck } from '../../db/database-health.js';
import { isDuplicateKey } from '../../db/keyed-writes.js';
import { isFolded, withFolded } from './folded-batches.js';
import { packCounters, unpackCounters } from './packed-counters.js';
import { SharedReads } from './shared-reads.js';
import { addIncrements, counterTree, flattenCounters, type Increments } from './tally-increments.js';
import type { TallySums } from './tally-sums.js';

/** A snapshot as kept in memory: immutable, with its counters flattened once. */
interface KnownSnapshot {
  key: string;
  version: number;
  flat: Increments;
  folded: FoldedBatches;
  /** Replaced twice over: its counters are gone (see TallySnapshot.retiredAt). */
  retired?: boolean;
  /** When it was read or written (performance.now()): it was the newest or about to be replaced then. */
  confirmedAt: number;
}

const empty = (key: string): KnownSnapshot => ({ key, version: 0, flat: {}, folded: {}, confirmedAt: performance.now() });

/**
 * A fold whose read of the newest version is older than this writes nothing: with retired versions kept
 * far longer (RETIRED_KEPT_MS), a version number it could take has never been freed by the sweep.
 */
const MAX_FOLD_MS = 60_000;
const RETIRED_KEPT_MS = 15 * 60_000;
/**
 * A version read or written this recently needs no second read when the next one is missing: to vanish, the
 * next would have had to be written after it, retired after that and swept RETIRED_KEPT_MS later still.
 */
const TRUST_CONFIRMED_MS = RETIRED_KEPT_MS / 3;
/** Snapshot keys (the tally, each day) that one fold or one read of slices works on at once. */
export const KEYS_AT_ONCE = 4;

/** A delta as read, its counters unpacked. */
interface DeltaPart extends Pick<TallyDelta, '_id' | 'writer' | 'seq'> {
  tally: CounterTree;
  slices: Record<string, CounterTree>;
}

/** Snapshots kept across all surveys; a day's slice is a few kilobytes. */
const MAX_KEPT = 5000;

const EMPTY_INTEGRITY: IntegrityCounters = { accepted: 0, duplicate: 0, rateLimited: 0, refused: 0, invalid: 0, honeypot: 0, tooFast: 0, badToken: 0, codeRefused: 0 };

export class TallyService {
  /** The newest snapshot known of each counter key, in least-recently-used order. */
  private readonly newestKnown = new Map<string, KnownSnapshot>();
  /** Folds under way, by survey, so one process folds a survey once at a time; `again` when asked meanwhile. */
  private readonly folding = new Map<string, { done: Promise<number>; again?: Promise<number> }>();
  private readonly sharedReads = new SharedReads<KnownSnapshot>();
  private readonly sharedDeltaReads = new SharedReads<DeltaPart[]>();

  constructor(
    private readonly models: Models,
    /** `health`: checks the reads of deltas and snapshots (a malformed reply resets the pool and is read again). */
    private readonly options: { writeConcern?: WriteConcernSettings; health?: DatabaseHealth } = {},
  ) {}

  /** The survey's counts: its tally snapshot plus the deltas not folded yet. */
  async get(surveyId: Types.ObjectId): Promise<Tally> {
    const deltas = await this.deltas(surveyId);
    const snapshot = await this.newest(surveyId, null);
    const flat = { ...snapshot.flat };
    for (const delta of deltas) if (!isFolded(snapshot.folded, delta)) addIncrements(flat, flattenCounters(delta.tally));
    const tree = counterTree(flat) as Partial<Record<keyof Tally, unknown>>;
    return {
      survey: surveyId,
      total: (tree.total as number | undefined) ?? 0,
      byDay: (tree.byDay as Tally['byDay'] | undefined) ?? {},
      byDistrict: (tree.byDistrict as Tally['byDistrict'] | undefined) ?? {},
      byChannel: (tree.byChannel as Tally['byChannel'] | undefined) ?? {},
      questions: (tree.questions as Tally['questions'] | undefined) ?? {},
      integrity: { ...EMPTY_INTEGRITY, ...(tree.integrity as Partial<IntegrityCounters> | undefined) },
    };
  }

  /** The survey's slices of these days (days without votes are left out). */
  async slices(surveyId: Types.ObjectId, days: readonly string[]): Promise<DaySlice[]> {
    const deltas = await this.deltas(surveyId);
    const snapshots = await mapLimited(days, KEYS_AT_ONCE, (day) => this.newest(surveyId, day));
    const slices: DaySlice[] = [];
    days.forEach((day, i) => {
      const snapshot = snapshots[i]!;
      const flat = { ...snapshot.flat };
      for (const delta of deltas) {
        const part = delta.slices[day];
        if (part && !isFolded(snapshot.folded, delta)) addIncrements(flat, flattenCounters(part));
      }
      const cells = (counterTree(flat).cells ?? {}) as unknown as DaySlice['cells'];
      if (Object.keys(cells).length > 0) slices.push({ day, cells });
    });
    return slices;
  }

  /**
   * Adds counts made in bulk (demo data, benchmarks) as one delta of a writer of their own. Several calls
   * for one survey add up.
   */
  async addSeeded(surveyId: Types.ObjectId, sums: TallySums, writer = `seed-${randomBytes(6).toString('base64url')}`): Promise<void> {
    if (Object.keys(sums.tally).length === 0) return;
    const delta: TallyDelta = {
      _id: deltaId(surveyId, writer, 1),
      survey: surveyId,
      writer,
      seq: 1,
      votes: sums.tally.total ?? 0,
      tally: packCounters(counterTree(sums.tally)),
      slices: packCounters(Object.fromEntries([...sums.slices].map(([day, inc]) => [day, counterTree(inc)]))),
      at: new Date(),
    };
    // A writer named by the caller makes the call idempotent: a second one is a duplicate key. Readers add
    // the delta at once; the next fold (a vote's, or maintenance's) takes it into the snapshots.
    await this.models.TallyDelta.collection.insertOne(delta as never, { writeConcern: this.options.writeConcern }).catch((error: unknown) => {
      if (!isDuplicateKey(error)) throw error;
    });
  }

  /** Gives a new survey its first (empty) tally snapshot, so its tally is known to exist. Idempotent. */
  async ensureTally(surveyId: Types.ObjectId): Promise<void> {
    await this.insertVersion(surveyId, null, empty(counterKey(surveyId)), {}, {}, performance.now());
  }

  /** Deletes versions retired long enough ago that no fold can still be about to write their numbers. */
  async sweepRetired(now = new Date()): Promise<void> {
    const before = new Date(now.getTime() - RETIRED_KEPT_MS);
    for (const model of [this.models.TallySnapshot, this.models.SliceSnapshot]) await model.deleteMany({ retiredAt: { $lt: before } });
  }

  /**
   * Folds the survey's deltas into new snapshot versions and deletes the deltas every snapshot they touch
   * now records. Returns how many deltas were deleted. Safe to run in several processes at once.
   */
  fold(surveyId: Types.ObjectId): Promise<number> {
    const key = String(surveyId);
    const running = this.folding.get(key);
    // A fold asked for during another must see the deltas written since that one read them.
    if (running) return (running.again ??= running.done.catch(() => 0).then(() => this.fold(surveyId)));
    const done = this.foldOnce(surveyId).finally(() => this.folding.delete(key));
    this.folding.set(key, { done });
    return done;
  }

  /** Surveys that have deltas waiting, oldest first; for folds after a crash. */
  async surveysWithDeltas(olderThan: Date): Promise<Types.ObjectId[]> {
    const deltas = await this.models.TallyDelta.find({ at: { $lt: olderThan } }, { survey: 1 }).lean<Array<Pick<TallyDelta, 'survey'>>>();
    return [...new Set(deltas.map((delta) => String(delta.survey)))].map((id) => new Types.ObjectId(id));
  }

  /** Removes every count of a survey (it is being deleted). */
  async deleteSurvey(surveyId: Types.ObjectId): Promise<void> {
    await this.models.TallyDelta.deleteMany({ survey: surveyId });
    await this.models.TallySnapshot.deleteMany({ survey: surveyId });
    await this.models.SliceSnapshot.deleteMany({ survey: surveyId });
    await this.models.TallyHead.deleteMany({ survey: surveyId });
    for (const key of this.newestKnown.keys()) if (key.startsWith(String(surveyId))) this.newestKnown.delete(key);
  }

  /** Forgets what was read (tests that empty the database). */
  clear(): void {
    this.newestKnown.clear();
  }

  private async foldOnce(surveyId: Types.ObjectId): Promise<number> {
    const deltas = await this.deltas(surveyId);
    if (deltas.length === 0) return 0;
    const days = [...new Set(deltas.flatMap((delta) => Object.keys(delta.slices)))];
    // Every snapshot records every delta read as folded, even one with nothing for its day, so a day's
    // record stays a few ranges instead of one entry per batch of other days. A few keys at a time: a delta
    // of months of imported votes touches every day, and reading all their versions at once would make each
    // read wait behind the others past MAX_FOLD_MS.
    const written = await mapLimited([null, ...days], KEYS_AT_ONCE, async (day) => {
      const confirmedAt = performance.now();
      const snapshot = await this.newest(surveyId, day);
      const fresh = deltas.filter((delta) => !isFolded(snapshot.folded, delta));
      if (fresh.length === 0) return snapshot;
      const flat = { ...snapshot.flat };
      for (const delta of fresh) {
        const part = day === null ? delta.tally : delta.slices[day];
        if (part) addIncrements(flat, flattenCounters(part));
      }
      return this.insertVersion(surveyId, day, snapshot, flat, withFolded(snapshot.folded, fresh), confirmedAt);
    });
    const [tally, ...slices] = written;
    const sliceOf = new Map(days.map((day, i) => [day, slices[i]!]));
    const done = deltas.filter((delta) => isFolded(tally!.folded, delta) && Object.keys(delta.slices).every((day) => isFolded(sliceOf.get(day)!.folded, delta)));
    if (done.length > 0) await this.models.TallyDelta.deleteMany({ _id: { $in: done.map((delta) => delta._id) } }, { writeConcern: this.options.writeConcern });
    return done.length;
  }

  /**
   * Writes the version after `previous`. If another process wrote that version first, returns the newest
   * one instead: this fold's deltas it lacks stay for the next fold.
   */
  private async insertVersion(surveyId: Types.ObjectId, day: string | null, previous: KnownSnapshot, flat: Increments, folded: FoldedBatches, confirmedAt: number): Promise<KnownSnapshot> {
    const next: KnownSnapshot = { key: previous.key, version: previous.version + 1, flat, folded, confirmedAt: performance.now() };
    const document: TallySnapshot = { _id: snapshotId(next.key, next.version), key: next.key, survey: surveyId, day, version: next.version, counters: packCounters(counterTree(flat)), folded, at: new Date(), retiredAt: null };
    if (performance.now() - confirmedAt > MAX_FOLD_MS) throw new Error(`fold of ${next.key} abandoned: its read of version ${previous.version} is too old`);
    try {
      await this.snapshots(day).collection.insertOne(document as never, { writeConcern: this.options.writeConcern });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return this.newest(surveyId, day);
    }
    this.remember(next);
    await this.models.TallyHead.updateOne({ _id: next.key }, { $max: { version: next.version }, $setOnInsert: { survey: surveyId } }, { upsert: true });
    // Two versions are kept whole, so a reader that just learnt of the previous one can still read it.
    if (next.version > 2) await this.snapshots(day).updateOne({ _id: snapshotId(next.key, next.version - 2) }, { $set: { counters: packCounters({}), folded: {}, retiredAt: new Date() } });
    return next;
  }

  private deltas(surveyId: Types.ObjectId): Promise<DeltaPart[]> {
    return this.sharedDeltaReads.read(String(surveyId), async () => {
      const stored = await this.checkedRead(
        'tally deltas of a survey',
        () => this.models.TallyDelta.find({ survey: surveyId }, { writer: 1, seq: 1, tally: 1, slices: 1 }).lean<Array<Pick<TallyDelta, '_id' | 'writer' | 'seq' | 'tally' | 'slices'>>>().exec(),
        (deltas) => (Array.isArray(deltas) && deltas.every((d) => typeof d._id === 'string' && typeof d.writer === 'string' && typeof d.seq === 'number' && d.tally !== undefined && d.slices !== undefined) ? undefined : 'a delta without its batch or counters'),
      );
      return stored.map((delta) => ({
        _id: delta._id,
        writer: delta.writer,
        seq: delta.seq,
        tally: unpackCounters(delta.tally, `tally delta ${delta._id}`),
        slices: unpackCounters(delta.slices, `tally delta ${delta._id}`) as Record<string, CounterTree>,
      }));
    });
  }

  /**
   * The newest snapshot of a tally or slice: the one known (or the head hint's), then one version further
   * until there is none. Versions are written one after another and only the one two below a new version is
   * retired, so if the next is missing, the current one is the newest unless it was retired too.
   * Each read names one `_id` (FerretDB filters an `_id` equality inside SQLite, but reads and decodes the
   * whole collection for `$in`), and concurrent readers of one key share a read that began after they asked.
   */
  private newest(surveyId: Types.ObjectId, day: string | null): Promise<KnownSnapshot> {
    const key = counterKey(surveyId, day);
    return this.sharedReads.read(key, async () => {
      let current = this.newestKnown.get(key) ?? (await this.fromHead(key, day));
      for (;;) {
        const next = await this.readVersion(key, day, current.version + 1);
        if (next) {
          current = next;
          continue;
        }
        if (current.version === 0 || (!current.retired && performance.now() - current.confirmedAt < TRUST_CONFIRMED_MS)) break;
        const again = await this.readVersion(key, day, current.version);
        if (again && !again.retired) {
          current = again;
          break;
        }
        current = await this.fromListing(key, day);
        break;
      }
      this.remember(current);
      return current;
    });
  }

  private snapshots(day: string | null) {
    return day === null ? this.models.TallySnapshot : this.models.SliceSnapshot;
  }

  private async fromHead(key: string, day: string | null): Promise<KnownSnapshot> {
    const head = await this.models.TallyHead.findById(key, { version: 1 }).lean<{ version: number }>();
    if (!head) return empty(key);
    const atHead = await this.readVersion(key, day, head.version);
    return atHead && !atHead.retired ? atHead : this.fromListing(key, day);
  }

  /** The newest version among those stored (only when the head hint lags far behind). */
  private async fromListing(key: string, day: string | null): Promise<KnownSnapshot> {
    this.newestKnown.delete(key);
    const versions = await this.snapshots(day).find({ key, retiredAt: null }, { version: 1 }).lean<Array<{ version: number }>>();
    const newest = Math.max(0, ...versions.map((v) => v.version));
    if (newest === 0) return empty(key);
    const found = await this.readVersion(key, day, newest);
    return found && !found.retired ? found : this.fromListing(key, day);
  }

  private async readVersion(key: string, day: string | null, version: number): Promise<KnownSnapshot | undefined> {
    const document = await this.checkedRead(
      'tally snapshot',
      () => this.snapshots(day).findOne({ _id: snapshotId(key, version) }).lean<TallySnapshot>().exec(),
      (found) => (found === null || (found.key === key && found.version === version && found.counters !== undefined) ? undefined : `another snapshot than ${snapshotId(key, version)}`),
    );
    if (!document) return undefined;
    const counters = unpackCounters(document.counters, `tally snapshot ${document._id}`);
    const confirmedAt = performance.now();
    if (document.retiredAt) return { key, version, flat: {}, folded: {}, retired: true, confirmedAt };
    return { key, version, flat: flattenCounters(counters), folded: document.folded ?? {}, confirmedAt };
  }

  /** A read whose answer is checked: through DatabaseHealth when given (see the constructor), else here. */
  private checkedRead<T>(what: string, load: () => Promise<T>, check: ReadCheck<T>): Promise<T> {
    if (this.options.health) return this.options.health.read(what, load, check);
    return load().then((value) => {
      const problem = check(value);
      if (problem !== undefined) throw new Error(`${what}: ${problem}`);
      return value;
    });
  }

  private remember(snapshot: KnownSnapshot): void {
    const known = this.newestKnown.get(snapshot.key);
    if (known && known.version >= snapshot.version) return;
    this.newestKnown.delete(snapshot.key);
    this.newestKnown.set(snapshot.key, snapshot);
    if (this.newestKnown.size > MAX_KEPT) this.newestKnown.delete(this.newestKnown.keys().next().value!);
  }
}

/** Maps items with at most `limit` calls running at once; results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
