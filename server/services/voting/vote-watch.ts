/**
 * Bursts and repeated free texts of the votes this process accepted, for the integrity panel. Kept in memory
 * and bounded (per survey: the last hour by minute, at most MAX_GROUPS_PER_MINUTE address groups a minute and
 * MAX_TEXTS distinct texts; at most MAX_SURVEYS surveys), never in the tally: per-address or per-minute keys
 * there would grow without bound. So the figures cover this process since it started, and are stated as such.
 */
import { createHmac } from 'node:crypto';

const MINUTE_MS = 60_000;
const HOUR_MINUTES = 60;
const MAX_SURVEYS = 500;
const MAX_GROUPS_PER_MINUTE = 500;
const MAX_TEXTS = 2000;
/** Texts are compared on their first characters; a longer key would only cost memory. */
const TEXT_KEY_CHARS = 500;
/** Characters of an address group's panel hash: enough to tell groups apart, too few to look one up. */
const GROUP_CHARS = 10;

interface Minute {
  votes: number;
  groups: Map<string, number>;
}

interface SurveyWatch {
  minutes: Map<number, Minute>;
  texts: Map<string, number>;
  /** True once a distinct text was not kept because MAX_TEXTS were. */
  textsTruncated: boolean;
}

export interface VoteWatchReport {
  /** The busiest minutes of the last hour (start of the minute, ISO), most votes first. */
  busiestMinutes: Array<{ minute: string; votes: number }>;
  /** Address groups (shortened keyed hashes) with the most votes in the last hour. */
  busiestGroups: Array<{ group: string; votes: number }>;
  /** Free-text answers that repeat an earlier one verbatim (all of a text's copies but the first). */
  repeatedTexts: number;
  topTexts: Array<{ text: string; count: number }>;
  textsTruncated: boolean;
}

export class VoteWatch {
  private readonly surveys = new Map<string, SurveyWatch>();

  constructor(private readonly secret: string) {}

  /** Records an accepted vote of address group clientHash with its free-text answers. */
  record(surveyId: string, clientHash: string, texts: readonly string[], now = Date.now()): void {
    const watch = this.watchOf(surveyId);
    const minute = Math.floor(now / MINUTE_MS);
    this.prune(watch, minute);
    let slot = watch.minutes.get(minute);
    if (!slot) watch.minutes.set(minute, (slot = { votes: 0, groups: new Map() }));
    slot.votes += 1;
    const group = this.groupOf(clientHash);
    const seen = slot.groups.get(group);
    if (seen !== undefined || slot.groups.size < MAX_GROUPS_PER_MINUTE) slot.groups.set(group, (seen ?? 0) + 1);
    for (const text of texts) {
      const key = text.trim().replace(/\s+/g, ' ').slice(0, TEXT_KEY_CHARS);
      if (key === '') continue;
      const count = watch.texts.get(key);
      if (count !== undefined) watch.texts.set(key, count + 1);
      else if (watch.texts.size < MAX_TEXTS) watch.texts.set(key, 1);
      else watch.textsTruncated = true;
    }
  }

  report(surveyId: string, now = Date.now(), top = 5): VoteWatchReport {
    const watch = this.surveys.get(surveyId);
    if (!watch) return { busiestMinutes: [], busiestGroups: [], repeatedTexts: 0, topTexts: [], textsTruncated: false };
    this.prune(watch, Math.floor(now / MINUTE_MS));
    const groups = new Map<string, number>();
    for (const slot of watch.minutes.values()) for (const [group, votes] of slot.groups) groups.set(group, (groups.get(group) ?? 0) + votes);
    const repeated = [...watch.texts].filter(([, count]) => count > 1);
    return {
      busiestMinutes: [...watch.minutes].sort((a, b) => b[1].votes - a[1].votes || b[0] - a[0]).slice(0, top).map(([minute, slot]) => ({ minute: new Date(minute * MINUTE_MS).toISOString(), votes: slot.votes })),
      busiestGroups: topEntries(groups, top).map(([group, votes]) => ({ group, votes })),
      repeatedTexts: repeated.reduce((sum, [, count]) => sum + count - 1, 0),
      topTexts: repeated.sort((a, b) => b[1] - a[1]).slice(0, 3).map(([text, count]) => ({ text: text.slice(0, 120), count })),
      textsTruncated: watch.textsTruncated,
    };
  }

  clear(): void {
    this.surveys.clear();
  }

  private watchOf(surveyId: string): SurveyWatch {
    let watch = this.surveys.get(surveyId);
    if (!watch) {
      if (this.surveys.size >= MAX_SURVEYS) this.surveys.delete(this.surveys.keys().next().value!);
      this.surveys.set(surveyId, (watch = { minutes: new Map(), texts: new Map(), textsTruncated: false }));
    }
    return watch;
  }

  private prune(watch: SurveyWatch, minute: number): void {
    for (const start of watch.minutes.keys()) if (start <= minute - HOUR_MINUTES) watch.minutes.delete(start);
  }

  /** Keyed again, so the panel's label cannot be matched with the hashes stored for confidential surveys. */
  private groupOf(clientHash: string): string {
    return createHmac('sha256', this.secret).update(`panel:${clientHash}`).digest('base64url').slice(0, GROUP_CHARS);
  }
}

/**
 * The k entries with the most votes (ties by key), in one pass: an hour of a busy survey holds up to 30,000
 * address groups, and sorting them all (with locale-aware comparisons) cost every dashboard page a second.
 */
export function topEntries(counts: ReadonlyMap<string, number>, k: number): Array<[string, number]> {
  const best: Array<[string, number]> = [];
  if (k <= 0) return best;
  const before = (a: [string, number], b: [string, number]) => a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
  for (const entry of counts) {
    if (best.length === k && !before(entry, best[k - 1]!)) continue;
    let at = Math.min(best.length, k - 1);
    best[at] = entry;
    while (at > 0 && before(best[at]!, best[at - 1]!)) {
      [best[at - 1], best[at]] = [best[at]!, best[at - 1]!];
      at -= 1;
    }
  }
  return best;
}
