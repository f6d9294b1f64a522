/** Statistics for result dashboards: proportions, means, rankings and cross-tabs with honest uncertainty. Pure, no I/O. */

/** Below this many respondents a cell's percentage says more about individuals than about the public. */
export const DEFAULT_SMALL_CELL_THRESHOLD = 5;

/** z for a two-sided 95% interval, Φ⁻¹(0.975). */
const Z_95 = 1.959964;

export interface Interval {
  low: number;
  high: number;
}

export interface MeanSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for a single response, where spread is undefined. */
  sd: number | null;
  low: number | null;
  high: number | null;
}

export interface TopBoxSummary {
  satisfied: number;
  n: number;
  share: number | null;
  low: number | null;
  high: number | null;
}

export interface OptionShare {
  id: string;
  count: number;
  share: number | null;
}

export interface RankingItem {
  id: string;
  firstChoice: number;
  firstChoiceShare: number | null;
  bordaScore: number;
  /** Points per respondent, so surveys of different sizes compare; null when nobody answered. */
  bordaMean: number | null;
  mentions: number;
  /** Respondents who put the item at each rank ("1", "2", …). */
  byRank: Record<string, number>;
}

export interface CrossTabCell {
  column: string;
  count: number;
  /** Share of the row; null when the row is empty, since 0 of 0 is not 0%. */
  rowShare: number | null;
}

export interface CrossTabRow {
  id: string;
  cells: CrossTabCell[];
  total: number;
}

export interface CrossTabColumnTotal {
  id: string;
  count: number;
  /** Share of the grand total: the "all respondents" line each row is compared against. */
  share: number | null;
}

export interface CrossTab {
  rows: CrossTabRow[];
  columnTotals: CrossTabColumnTotal[];
  total: number;
}

export interface WordCount {
  word: string;
  count: number;
  script: 'han' | 'latin';
}

// Code-unit order rather than localeCompare: the same order on every server, whatever its ICU data.
function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertCount(value: number, what: string): void {
  // A negative or non-finite count means a corrupted tally; printing a number from it would mislead.
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} must be a finite count ≥ 0, got ${value}`);
}

/**
 * Wilson score interval for successes/n. Unlike the textbook p ± z·√(p(1−p)/n) it stays inside [0, 1] and
 * does not collapse to zero width at 0/n or n/n, which is exactly where small surveys land.
 */
export function wilsonInterval(successes: number, n: number, z = Z_95): Interval | null {
  assertCount(successes, 'successes');
  assertCount(n, 'n');
  if (successes > n) throw new RangeError(`successes (${successes}) cannot exceed n (${n})`);
  if (n === 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // Rounding can leave -1e-17 or 1 + 1e-16 at the extremes.
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Lower-tail standard normal quantile, Acklam's rational approximation (relative error < 1.2e-9), which is
 * far below what Hill's t expansion built on it needs.
 */
function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const tail = (q: number): number =>
    (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

/**
 * Two-sided critical value of Student's t: the t with P(|T| > t) = 1 − confidence for df degrees of freedom.
 * Hill (1970), CACM Algorithm 396, the starting point of R's qt(): exact for df = 1 and 2, and within 2e-5 of
 * the true quantile for every whole df checked (1 to 5000, at 90%, 95% and 99%), so printed tables agree to
 * their three decimals. Fractional df are refused: below 2 the approximation drifts (df = 1.5 is off by 0.06).
 */
export function tCritical(df: number, confidence = 0.95): number {
  if (!(Number.isInteger(df) && df >= 1) && df !== Number.POSITIVE_INFINITY) {
    throw new RangeError(`degrees of freedom must be a whole number ≥ 1, got ${df}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const p = 1 - confidence; // two-tailed probability
  if (df === Number.POSITIVE_INFINITY) return -normalQuantile(p / 2);
  if (df === 1) return 1 / Math.tan((p * Math.PI) / 2);
  if (df === 2) return Math.sqrt(2 / (p * (2 - p)) - 2);
  const a = 1 / (df - 0.5);
  const b = 48 / (a * a);
  let c = ((20700 * a / b - 98) * a - 16) * a + 96.36;
  const d = ((94.5 / (b + c) - 3) / b + 1) * Math.sqrt((a * Math.PI) / 2) * df;
  let y = Math.pow(d * p, 2 / df);
  if (y > 0.05 + a) {
    // Moderate tails: an expansion of t around the normal quantile.
    const x = normalQuantile(p / 2);
    y = x * x;
    if (df < 5) c += 0.3 * (df - 4.5) * (x + 0.6);
    c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c;
    y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x;
    y = Math.expm1(a * y * y);
  } else {
    // Extreme tails with few degrees of freedom: a direct series in the tail probability.
    y = ((1 / (((df + 6) / (df * y) - 0.089 * d - 0.822) * (df + 2) * 3) + 0.5 / (df + 4)) * y - 1) * (df + 1) / (df + 2) + 1 / y;
  }
  return Math.sqrt(df * y);
}

/** Rating values with their counts; keys that are not numbers ("dont-know") are not on the scale and are left out. */
function ratingEntries(counts: Record<string, number>): Array<{ value: number; count: number }> {
  const entries: Array<{ value: number; count: number }> = [];
  for (const [key, count] of Object.entries(counts)) {
    const value = Number(key);
    if (key.trim() === '' || !Number.isFinite(value)) continue;
    assertCount(count, `count of rating ${key}`);
    if (count > 0) entries.push({ value, count });
  }
  return entries;
}

/**
 * Mean of a rating distribution with its 95% confidence interval. Uses t with n − 1 degrees of freedom rather
 * than z: with the 10 or 20 responses of a neighbourhood survey, z would understate the uncertainty.
 */
export function meanWithConfidence(counts: Record<string, number>): MeanSummary | null {
  const entries = ratingEntries(counts);
  const n = entries.reduce((sum, { count }) => sum + count, 0);
  if (n === 0) return null;
  const mean = entries.reduce((sum, { value, count }) => sum + value * count, 0) / n;
  if (n === 1) return { n, mean, sd: null, low: null, high: null };
  // Two passes (deviations from the mean), not Σx² − n·mean², which cancels badly when the spread is small.
  const squares = entries.reduce((sum, { value, count }) => sum + count * (value - mean) ** 2, 0);
  const sd = Math.sqrt(squares / (n - 1));
  const half = (tCritical(n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, low: mean - half, high: mean + half };
}

/**
 * Share in the top two boxes (4–5 of 5, 9–10 of 10), the figure planners quote as "satisfied", with its Wilson
 * interval. The denominator is everyone who gave a rating on the scale.
 */
export function topBoxShare(counts: Record<string, number>, scale: 5 | 10): TopBoxSummary {
  const entries = ratingEntries(counts);
  const n = entries.reduce((sum, { count }) => sum + count, 0);
  const satisfied = entries.filter(({ value }) => value >= scale - 1).reduce((sum, { count }) => sum + count, 0);
  const interval = wilsonInterval(satisfied, n);
  return { satisfied, n, share: n === 0 ? null : satisfied / n, low: interval?.low ?? null, high: interval?.high ?? null };
}

/**
 * Count and share per option. For multiple choice pass the number of respondents who answered, not the sum of
 * the counts: each option is then "the share of respondents who chose it" and the shares may add up to more
 * than 100%, as they should. optionIds lists options to show even if nobody chose them.
 */
export function shares(counts: Record<string, number>, denominator: number, optionIds: readonly string[] = []): OptionShare[] {
  assertCount(denominator, 'denominator');
  const ids = new Set([...optionIds, ...Object.keys(counts)]);
  return [...ids]
    .map((id) => {
      const count = counts[id] ?? 0;
      assertCount(count, `count of ${id}`);
      return { id, count, share: denominator === 0 ? null : count / denominator };
    })
    .sort((a, b) => b.count - a.count || byId(a.id, b.id));
}

/**
 * Ranking question summary. Borda count: rank r of N earns N − r + 1 points, so an item nobody ranked first
 * but everybody ranked second can still lead, which first choices alone would hide. Residents who rank fewer
 * than N items give the unranked ones 0 points; bordaMean divides by everyone who answered, not by mentions,
 * so an item is not flattered by being ranked rarely. itemIds lists items to show even if never ranked.
 */
export function rankingSummary(
  ranks: Record<string, Record<string, number>>,
  rankCount: number,
  answered: number,
  itemIds: readonly string[] = [],
): RankingItem[] {
  if (!Number.isInteger(rankCount) || rankCount < 1) throw new RangeError(`rankCount must be a positive integer, got ${rankCount}`);
  assertCount(answered, 'answered');
  const ids = new Set([...itemIds, ...Object.keys(ranks)]);
  return [...ids]
    .map((id) => {
      let firstChoice = 0;
      let bordaScore = 0;
      let mentions = 0;
      for (const [rankKey, count] of Object.entries(ranks[id] ?? {})) {
        const rank = Number(rankKey);
        // A rank beyond N would earn zero or negative points: the caller's N is wrong, so say so.
        if (!Number.isInteger(rank) || rank < 1 || rank > rankCount) throw new RangeError(`rank ${rankKey} of ${id} is outside 1..${rankCount}`);
        assertCount(count, `count of ${id} at rank ${rankKey}`);
        if (rank === 1) firstChoice += count;
        bordaScore += (rankCount - rank + 1) * count;
        mentions += count;
      }
      return {
        id,
        firstChoice,
        firstChoiceShare: answered === 0 ? null : firstChoice / answered,
        bordaScore,
        bordaMean: answered === 0 ? null : bordaScore / answered,
        mentions,
        byRank: { ...ranks[id] },
      };
    })
    .sort((a, b) => b.bordaScore - a.bordaScore || b.firstChoice - a.firstChoice || byId(a.id, b.id));
}

/**
 * Cross-tabulation counts[row][column] with row totals, row shares and column totals. Only the listed rows
 * and columns are shown and totalled, so row shares add up to 100% of what the table displays; that holds
 * when each respondent falls in one column (a single-choice question).
 */
export function crossTab(counts: Record<string, Record<string, number>>, rowIds: string[], columnIds: string[]): CrossTab {
  const columnCounts = columnIds.map(() => 0);
  const rows = rowIds.map((rowId) => {
    const row = counts[rowId] ?? {};
    const cellCounts = columnIds.map((columnId) => {
      const count = row[columnId] ?? 0;
      assertCount(count, `count of ${rowId}/${columnId}`);
      return count;
    });
    const total = cellCounts.reduce((sum, count) => sum + count, 0);
    const cells = columnIds.map((column, index) => {
      const count = cellCounts[index] ?? 0;
      columnCounts[index] = (columnCounts[index] ?? 0) + count;
      return { column, count, rowShare: total === 0 ? null : count / total };
    });
    return { id: rowId, cells, total };
  });
  const total = columnCounts.reduce((sum, count) => sum + count, 0);
  const columnTotals = columnIds.map((id, index) => {
    const count = columnCounts[index] ?? 0;
    return { id, count, share: total === 0 ? null : count / total };
  });
  return { rows, columnTotals, total };
}

/**
 * True when a cell has respondents but fewer than the threshold: its percentage must be hidden, because
 * "1 of 3 in this village said…" identifies people. An empty cell reveals nobody.
 */
export function smallCellProtected(n: number, threshold: number = DEFAULT_SMALL_CELL_THRESHOLD): boolean {
  return n > 0 && n < threshold;
}

const ENGLISH_STOP_WORDS = new Set(
  (
    "the a an and or but of to in on at by for from with about as into than then so if is are was were be been " +
    "being am do does did have has had it its it's this that these those there here i me my we us our you your " +
    "they them their he him his she her not no yes very just also can will would should could more most some " +
    "any all what which who when where how why i'm don't dont"
  ).split(' '),
);

/** Characters too frequent in Chinese to carry a topic; a bigram containing one is mostly noise. */
const CHINESE_STOP_CHARACTERS = new Set([...'的了是在和有我也都就不人这那一个你他她们着']);

const HAN = /\p{Script=Han}/u;
// Latin-script letters, decimal digits and apostrophes; everything else (spaces, punctuation, emoji) ends a word.
const LATIN_WORD_CHARACTER = /[\p{Script=Latin}\p{Nd}']/u;

/**
 * Most frequent words in free-text answers, for a word list or cloud. English is split on non-letters and
 * stop words dropped. Chinese has no spaces and no dictionary is shipped, so runs of Han characters are cut
 * into overlapping character bigrams (社区安全 → 社区, 区安, 安全), the usual dictionary-free approach; real
 * words rise to the top because they recur, while accidental bigrams across word boundaries scatter.
 * A lone Han character between non-Han text counts as a word. Iterates by code point so CJK Extension B
 * characters (outside the BMP, two UTF-16 units) and emoji are never split in half.
 */
export function wordCounts(texts: string[], limit = 30): WordCount[] {
  const counts = new Map<string, WordCount>();
  const add = (word: string, script: WordCount['script']): void => {
    const entry = counts.get(word);
    if (entry) entry.count += 1;
    else counts.set(word, { word, count: 1, script });
  };
  const flushLatin = (characters: string[]): void => {
    // Quotes around a word ('safe') are punctuation; the apostrophe inside don't is not.
    const word = characters.join('').toLowerCase().replace(/^'+|'+$/g, '');
    if (word !== '' && !ENGLISH_STOP_WORDS.has(word)) add(word, 'latin');
  };
  const flushHan = (characters: string[]): void => {
    const [only] = characters;
    if (characters.length === 1 && only !== undefined) {
      if (!CHINESE_STOP_CHARACTERS.has(only)) add(only, 'han');
      return;
    }
    for (let index = 0; index + 1 < characters.length; index += 1) {
      const first = characters[index] ?? '';
      const second = characters[index + 1] ?? '';
      if (!CHINESE_STOP_CHARACTERS.has(first) && !CHINESE_STOP_CHARACTERS.has(second)) add(first + second, 'han');
    }
  };

  for (const text of texts) {
    // NFKC folds the full-width letters and digits of Chinese keyboards (ｂｕｓ, ２) into ASCII; phones type ’ for '.
    const normalised = text.normalize('NFKC').replace(/\u2019/g, "'");
    let latin: string[] = [];
    let han: string[] = [];
    for (const character of normalised) {
      if (HAN.test(character)) {
        if (latin.length > 0) flushLatin(latin);
        latin = [];
        han.push(character);
      } else if (LATIN_WORD_CHARACTER.test(character)) {
        if (han.length > 0) flushHan(han);
        han = [];
        latin.push(character);
      } else {
        if (latin.length > 0) flushLatin(latin);
        if (han.length > 0) flushHan(han);
        latin = [];
        han = [];
      }
    }
    if (latin.length > 0) flushLatin(latin);
    if (han.length > 0) flushHan(han);
  }

  return [...counts.values()].sort((a, b) => b.count - a.count || byId(a.word, b.word)).slice(0, Math.max(0, limit));
}
