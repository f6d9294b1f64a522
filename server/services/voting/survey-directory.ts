/**
 * Finds the bureau and survey a resident's address names, from a short-lived in-process cache: the survey
 * page and the vote post are the hot paths, and a survey changes rarely. Edits call invalidate().
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

export class SurveyDirectory {
  private readonly cache = new Map<string, { at: number; value: PublishedSurvey | null }>();
  private readonly bureauCache = new Map<string, { at: number; value: Bureau | null }>();

  constructor(private readonly models: Models) {}

  async bureau(slug: string): Promise<Bureau | null> {
    const cached = this.bureauCache.get(slug);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.value;
    const value = await this.models.Bureau.findOne({ slug }).lean<Bureau>();
    this.remember(this.bureauCache, slug, value);
    return value;
  }

  /** The survey whatever its status; callers decide what a resident may see. */
  async find(bureauSlug: string, surveySlug: string): Promise<PublishedSurvey | null> {
    const key = `${bureauSlug}/${surveySlug}`;
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.value;
    const bureau = await this.bureau(bureauSlug);
    const survey = bureau ? await this.models.Survey.findOne({ bureau: bureau._id, slug: surveySlug }).lean<Survey>() : null;
    const value = bureau && survey ? { bureau, survey } : null;
    this.remember(this.cache, key, value);
    return value;
  }

  invalidate(): void {
    this.cache.clear();
    this.bureauCache.clear();
  }

  private remember<T>(map: Map<string, { at: number; value: T }>, key: string, value: T): void {
    if (map.size >= MAX_ENTRIES) map.clear();
    map.set(key, { at: Date.now(), value });
  }
}
