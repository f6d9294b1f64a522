/**
 * Finds the bureau and survey a resident's address names, from an in-process cache: the survey page and the
 * vote post are the hot paths, and a survey changes rarely. Edits in this process call invalidate(); an entry
 * older than a couple of seconds (another process may have changed it) is read again in the background while
 * requests keep getting the entry they have, so no resident waits for the database on a survey already known.
 */
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { Survey } from '../../models/survey.model.js';

const TTL_MS = 2000;
const MAX_ENTRIES = 5000;

export interface PublishedSurvey {
  bureau: Bureau;
  survey: Survey;
}

interface Entry<T> {
  at: number;
  value: Promise<T>;
  /** A newer value being read while this one is still served. */
  refreshing?: boolean;
  /** The value, once read, was something (not null): only such entries are served while they are read again. */
  found?: boolean;
}

export class SurveyDirectory {
  private readonly surveys = new Map<string, Entry<PublishedSurvey | null>>();
  private readonly bureaus = new Map<string, Entry<Bureau | null>>();

  constructor(private readonly models: Models) {}

  bureau(slug: string): Promise<Bureau | null> {
    return this.cached(this.bureaus, slug, () => this.models.Bureau.findOne({ slug }).lean<Bureau>());
  }

  /** The survey whatever its status; callers decide what a resident may see. */
  find(bureauSlug: string, surveySlug: string): Promise<PublishedSurvey | null> {
    return this.cached(this.surveys, `${bureauSlug}/${surveySlug}`, async () => {
      const bureau = await this.bureau(bureauSlug);
      const survey = bureau ? await this.models.Survey.findOne({ bureau: bureau._id, slug: surveySlug }).lean<Survey>() : null;
      return bureau && survey ? { bureau, survey } : null;
    });
  }

  invalidate(): void {
    this.surveys.clear();
    this.bureaus.clear();
  }

  /** Requests arriving while a lookup is under way share it, so a new key causes one query, not one per request. */
  private cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const entry = map.get(key);
    if (entry && Date.now() - entry.at < TTL_MS) return entry.value;
    if (entry?.found && !entry.refreshing) {
      entry.refreshing = true;
      entry.value.then(
        () => this.refresh(map, key, entry, load),
        () => {},
      );
    }
    if (entry?.found) return entry.value;
    if (map.size >= MAX_ENTRIES) map.clear();
    const value = Promise.resolve().then(load);
    const fresh: Entry<T> = { at: Date.now(), value };
    map.set(key, fresh);
    value.then((v) => (fresh.found = v !== null), () => {});
    // A failed lookup (database down) must not be remembered.
    value.catch(() => {
      if (map.get(key)?.value === value) map.delete(key);
    });
    return value;
  }

  /** Reads an entry again; until the new value is in, requests get the old one. A failed read keeps the old one a while longer. */
  private refresh<T>(map: Map<string, Entry<T>>, key: string, entry: Entry<T>, load: () => Promise<T>): void {
    load().then(
      (fresh) => {
        if (map.get(key) === entry) map.set(key, { at: Date.now(), value: Promise.resolve(fresh), found: fresh !== null });
      },
      () => {
        entry.at = Date.now();
        entry.refreshing = false;
      },
    );
  }
}
