/**
 * Counts concerns over a bureau's texts: each text once per concern (after staff merges), this week against
 * last week, per district and per source, and the words that come up often in texts no concern covers.
 * Pure, no I/O: the service loads the texts and the bureau's overlay.
 */
import type { ConcernMatcher } from './concern-matcher.js';
import { SENTENCE_BREAK } from './tokenizer.js';

export const CONCERN_SOURCES = ['survey', 'advice', 'microblog'] as const;
export type ConcernSource = (typeof CONCERN_SOURCES)[number];

export interface ConcernText {
  id: string;
  source: ConcernSource;
  text: string;
  at: Date;
  district: string | null;
}

export interface ConcernCount {
  /** The concern the texts count for (a merged concern counts for the one it was merged into). */
  id: string;
  count: number;
  thisWeek: number;
  lastWeek: number;
  byDistrict: Array<{ district: string | null; count: number }>;
  bySource: Record<ConcernSource, number>;
  /** Indexes into the analysed texts, newest first. */
  texts: number[];
}

export interface ConcernAnalysis {
  total: number;
  matched: number;
  concerns: ConcernCount[];
  /** Frequent words of the texts no concern covers: candidates for a new concern. */
  emerging: Array<{ word: string; count: number }>;
}

const DAY_MS = 86_400_000;

// Words too common to name a concern (function words, politeness, time words).
const STOP_WORDS = new Set(
  ('我们 你们 他们 她们 这个 那个 这些 那些 什么 怎么 怎么办 为什么 没有 就是 还是 可以 已经 现在 一个 一些 希望 建议 问题 请问 能不能 是不是 大家 感觉 真的 非常 这里 那里 这样 那样 而且 但是 因为 所以 如果 或者 自己 时候 今天 昨天 明天 晚上 早上 每天 一下 一直 不是 还有 很多 比较 应该 需要 相关 部门 市民 谢谢 麻烦 有关 一定 不能 不要 总是 经常 还要 出来 起来 知道 觉得 其实 只是 虽然 然后 以后 之前 附近 周边 方便 一点 小区 我家 领导 政府 感谢 辛苦 加强 管理 解决 处理 情况 反映 多次 一次 几次 目前 今年 去年 最近 有人 没人 别人 每次 太多 特别 严重 能否 及时 尽快 下班 上班 半夜 凌晨 周末 ' +
    'the and that this with have from were was they what when there their about would could should please been also very just into more some than then them your our you for are not but has had get got can will its it’s it\'s thanks thank again still every here near our ours really since after before because which while where who how why all any one two lot lots day days week night morning evening today yesterday people someone anyone nobody area road street city district').split(/\s+/),
);

function keepsAsWord(token: string): boolean {
  if (token === SENTENCE_BREAK || STOP_WORDS.has(token) || /^\d+$/.test(token)) return false;
  return /[\u3400-\u9fff]/.test(token) ? token.length >= 2 : token.length >= 4;
}

/**
 * Words and two-word phrases of a text worth counting as candidates: jieba cuts a new compound such as
 * 共享单车 into 共享 / 单车, so adjacent pairs are counted too (the pair wins over its parts below).
 */
function candidateWords(tokens: string[]): Set<string> {
  const words = new Set<string>();
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    if (keepsAsWord(token)) words.add(token);
    const next = tokens[i + 1];
    if (next && keepsAsWord(token) && keepsAsWord(next) && /[\u3400-\u9fff]/.test(token + next) && (token + next).length <= 6) words.add(`${token}${next}`);
  }
  return words;
}

/** Drops a word that (almost) only occurs inside a more frequent phrase: 共享 and 单车 when 共享单车 is listed. */
function preferPhrases(counts: Map<string, number>): Array<[string, number]> {
  const entries = [...counts].filter(([, count]) => count >= 3);
  return entries.filter(([word, count]) => !entries.some(([other, otherCount]) => other !== word && other.length > word.length && other.includes(word) && otherCount * 1.25 >= count));
}

export interface AnalysisOptions {
  now: Date;
  /** Concern index (in the matcher) → the id it counts for, after merges; null: not counted. */
  countsFor: (concern: number) => string | null;
  /** How many emerging words to list. */
  emergingLimit?: number;
}

export function analyseConcerns(texts: readonly ConcernText[], matcher: ConcernMatcher, options: AnalysisOptions): ConcernAnalysis {
  const now = options.now.getTime();
  const counts = new Map<string, ConcernCount & { districts: Map<string | null, number> }>();
  const emerging = new Map<string, number>();
  let matched = 0;
  // Newest first, so each concern's list of texts is too.
  const order = texts.map((_, i) => i).sort((a, b) => texts[b]!.at.getTime() - texts[a]!.at.getTime());
  for (const index of order) {
    const text = texts[index]!;
    const tokens = matcher.tokenizer.tokens(text.text);
    const ids = new Set<string>();
    for (const concern of matcher.matchTokens(tokens)) {
      const id = options.countsFor(concern);
      if (id) ids.add(id);
    }
    if (ids.size === 0) {
      for (const word of candidateWords(tokens)) emerging.set(word, (emerging.get(word) ?? 0) + 1);
      continue;
    }
    matched += 1;
    const age = now - text.at.getTime();
    for (const id of ids) {
      let entry = counts.get(id);
      if (!entry) {
        entry = { id, count: 0, thisWeek: 0, lastWeek: 0, byDistrict: [], bySource: { survey: 0, advice: 0, microblog: 0 }, texts: [], districts: new Map() };
        counts.set(id, entry);
      }
      entry.count += 1;
      if (age >= 0 && age < 7 * DAY_MS) entry.thisWeek += 1;
      else if (age >= 7 * DAY_MS && age < 14 * DAY_MS) entry.lastWeek += 1;
      entry.bySource[text.source] += 1;
      entry.districts.set(text.district, (entry.districts.get(text.district) ?? 0) + 1);
      entry.texts.push(index);
    }
  }
  const concerns = [...counts.values()]
    .map(({ districts, ...entry }) => ({
      ...entry,
      byDistrict: [...districts].map(([district, count]) => ({ district, count })).sort((a, b) => b.count - a.count || String(a.district).localeCompare(String(b.district))),
    }))
    .sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
  return {
    total: texts.length,
    matched,
    concerns,
    emerging: preferPhrases(emerging)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, options.emergingLimit ?? 12)
      .map(([word, count]) => ({ word, count })),
  };
}
