/**
 * Finds the bureau and survey a resident's address names, from an in-process cache: the survey page and the
 * vote post are the hot paths, and a survey changes rarely. Edits in this process call invalidate(); edits
 * made through another process sharing the database show within FRESH_FOR_MS + the read: an entry older than
 * REFRESH_AFTER_MS is read again in the background while requests keep getting it, and one older than
 * FRESH_FOR_MS is not served until it has been read again.
 *
 * Reads go through DatabaseHealth, so an untrusted answer never replaces what the cache holds; and a record
 * this process knows that reads as missing is doubted once (pool reset, read again) before it is dropped,
 * so a bad reply cannot turn an open survey into a 404.
 */
import type { DatabaseHealth } from '../../db/database-health.js';
import { bureauProblem, surveyProblem } from '../../db/record-checks.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { Survey } from '../../models/survey.model.js';

const REFRESH_AFTER_MS = 1000;
const FRESH_FOR_MS = 4000;
const MAX_ENTRIES = 5000;

export interface PublishedSurvey {
  bureau: Bureau;
  survey: Survey;
}

interface Entry<T> {
  /** When the read that gave `value` started: the value is at least that fresh. */
  readAt: number;
  value: T;
  /** The read under way for this key, shared by every request that waits for it. */
  reading?: Promise<T>;
}

export class SurveyDirectory {
  private readonly surveys = new Map<string, Entry<PublishedSurvey | null>>();
  private readonly bureaus = new Map<string, Entry<Bureau | null>>();
  /** Reads started before the last invalidate() must not store what they read. */
  private generation = 0;

  constructor(
    private readonly models: Models,
    private readonly health: DatabaseHealth,
  ) {}

  bureau(slug: string): Promise<Bureau | null> {
    return this.cached(this.bureaus, slug, (known) =>
      this.health.read(
        `bureau ${slug}`,
        () => this.models.Bureau.findOne({ slug }).lean<Bureau>(),
        doubting<Bureau>(known, (bureau) => bureauProblem(bureau, { slug })),
      ),
    );
  }

  /** The survey whatever its status; callers decide what a resident may see. */
  find(bureauSlug: string, surveySlug: string): Promise<PublishedSurvey | null> {
    return this.cached(this.surveys, `${bureauSlug}/${surveySlug}`, async (known) => {
      const bureau = await this.bureau(bureauSlug);
      if (!bureau) return null;
      const survey = await this.health.read(
        `survey ${bureauSlug}/${surveySlug}`,
        () => this.models.Survey.findOne({ bureau: bureau._id, slug: surveySlug }).lean<Survey>(),
        doubting<Survey>(known, (s) => surveyProblem(s, { bureau: bureau._id, slug: surveySlug })),
      );
      return survey ? { bureau, survey } : null;
    });
  }

  invalidate(): void {
    this.generation += 1;
    this.surveys.clear();
    this.bureaus.clear();
  }

  private cached<T>(map: Map<string, Entry<T | null>>, key: string, load: (known: boolean) => Promise<T | null>): Promise<T | null> {
    const entry = map.get(key);
    const age = entry ? Date.now() - entry.readAt : Infinity;
    if (entry && age < REFRESH_AFTER_MS) return Promise.resolve(entry.value);
    const reading = entry?.reading ?? this.read(map, key, entry, load);
    // A failed background read leaves the entry as it was; the next request past FRESH_FOR_MS reads again.
    if (entry && age < FRESH_FOR_MS) {
      reading.catch(() => {});
      return Promise.resolve(entry.value);
    }
    return reading;
  }

  private read<T>(map: Map<string, Entry<T | null>>, key: string, entry: Entry<T | null> | undefined, load: (known: boolean) => Promise<T | null>): Promise<T | null> {
    const startedAt = Date.now();
    const generation = this.generation;
    const reading = load(entry?.value != null).finally(() => {
      if (entry?.reading === reading) delete entry.reading;
    });
    if (entry) entry.reading = reading;
    // Stored only once read and trusted; a failed read never replaces nor evicts what is there.
    reading.then(
      (value) => {
        if (generation !== this.generation) return;
        const current = map.get(key);
        if (current && current !== entry && current.readAt > startedAt) return;
        if (!current && map.size >= MAX_ENTRIES) map.clear();
        map.set(key, { readAt: startedAt, value });
      },
      () => {},
    );
    if (!entry) {
      // Requests for a key not yet known share its first read.
      const placeholder = { readAt: Number.NEGATIVE_INFINITY, value: null, reading } as Entry<T | null>;
      map.set(key, placeholder);
      reading.catch(() => {
        if (map.get(key) === placeholder) map.delete(key);
      });
    }
    return reading;
  }
}

/**
 * The check for a lookup by key: the record's own problems, and a first "missing" doubted when this process
 * knows the record (the read is then tried again on new connections; a second "missing" is believed).
 */
function doubting<T>(known: boolean, problem: (record: T) => string | undefined): (record: T | null) => string | undefined {
  let doubted = false;
  return (record) => {
    if (record !== null) return problem(record);
    if (known && !doubted) {
      doubted = true;
      return 'a record this process knows read as missing';
    }
    return undefined;
  };
}
