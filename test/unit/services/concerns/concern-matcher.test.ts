/** Concerns found in free text: exact counts over a small fixture, synonyms merged, and precision on a hand-labelled set. */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyseConcerns, type ConcernText } from '../../../../server/services/concerns/concern-analysis.js';
import { ConcernMatcher } from '../../../../server/services/concerns/concern-matcher.js';
import { createTokenizer, type Tokenizer } from '../../../../server/services/concerns/tokenizer.js';
import { loadVocabulary, type ConcernDefinition } from '../../../../server/services/concerns/vocabulary.js';
import { labelledConcernTexts } from '../../../utils/labelled-concerns.js';

let vocabulary: ConcernDefinition[];
const tokenizers: Record<Tokenizer['kind'], Tokenizer> = {} as never;
const matchers: Record<Tokenizer['kind'], ConcernMatcher> = {} as never;

beforeAll(async () => {
  vocabulary = loadVocabulary();
  tokenizers.jieba = await createTokenizer({ words: ConcernMatcher.terms(vocabulary) });
  tokenizers.vocabulary = await createTokenizer({ words: ConcernMatcher.terms(vocabulary), forceFallback: true });
  for (const kind of ['jieba', 'vocabulary'] as const) matchers[kind] = new ConcernMatcher(vocabulary, tokenizers[kind]);
});

const ids = (matcher: ConcernMatcher, text: string) => matcher.match(text).map((i) => matcher.concerns[i]!.id);
const NOW = new Date('2026-12-04T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

/** Twelve texts whose concerns were counted by hand. */
const FIXTURE: ConcernText[] = [
  { id: '1', source: 'microblog', text: '电动车被盗，第三次了', at: daysAgo(1), district: 'wuxing' },
  { id: '2', source: 'microblog', text: '我的电瓶车昨晚被偷了！', at: daysAgo(2), district: 'wuxing' },
  { id: '3', source: 'advice', text: 'My e-bike was stolen outside the station.', at: daysAgo(3), district: 'nanxun' },
  { id: '4', source: 'survey', text: '小电驴丢了，报警后民警一个月都没人联系', at: daysAgo(8), district: null },
  { id: '5', source: 'microblog', text: '广场舞太吵了，噪音扰民', at: daysAgo(9), district: 'wuxing' },
  { id: '6', source: 'microblog', text: '隔壁装修的噪声，还有楼下电动车被偷', at: daysAgo(10), district: 'anji' },
  { id: '7', source: 'survey', text: '接到冒充公检法的诈骗电话', at: daysAgo(20), district: 'wuxing' },
  { id: '8', source: 'advice', text: 'Phone scam again today.', at: daysAgo(0.5), district: 'nanxun' },
  { id: '9', source: 'microblog', text: '今天天气很好，偷偷去湖边散步', at: daysAgo(1), district: 'wuxing' },
  { id: '10', source: 'microblog', text: '银行卡被盗刷了', at: daysAgo(1), district: null },
  // Object and verb in different sentences: not an e-bike theft.
  { id: '11', source: 'microblog', text: '电动车充电桩太少。小区里手机被偷了。', at: daysAgo(1), district: 'wuxing' },
  { id: '12', source: 'advice', text: '电瓶车电瓶被偷，电瓶车被盗', at: daysAgo(15), district: 'wuxing' },
];

describe.each(['jieba', 'vocabulary'] as const)('concerns with the %s segmenter', (kind) => {
  it('merges synonyms into one concern (电动车被盗 / 电瓶车被偷 / e-bike stolen)', () => {
    for (const text of ['电动车被盗', '电瓶车被偷了', '小电驴昨晚被人偷走', 'My e-bike was stolen', 'ＥＢＩＫＥ STOLEN again']) expect(ids(matchers[kind], text), text).toEqual(['ebike-theft']);
    expect(ids(matchers[kind], '我偷偷告诉你')).toEqual([]);
  });

  it('counts each concern exactly over a small fixture', () => {
    const analysis = analyseConcerns(FIXTURE, matchers[kind], { now: NOW, countsFor: (i) => vocabulary[i]!.id });
    const counts = Object.fromEntries(analysis.concerns.map((c) => [c.id, c.count]));
    expect(counts).toEqual({ 'ebike-theft': 6, noise: 2, 'telecom-fraud': 2, 'police-response': 1, pickpocketing: 1 });
    const ebike = analysis.concerns.find((c) => c.id === 'ebike-theft')!;
    // This week: texts 1, 2, 3; last week: 4 and 6; text 12 is 15 days old.
    expect([ebike.thisWeek, ebike.lastWeek]).toEqual([3, 2]);
    expect(ebike.byDistrict).toEqual([{ district: 'wuxing', count: 3 }, { district: 'anji', count: 1 }, { district: 'nanxun', count: 1 }, { district: null, count: 1 }]);
    expect(ebike.bySource).toEqual({ survey: 1, advice: 2, microblog: 3 });
    // Newest first.
    expect(ebike.texts.map((i) => FIXTURE[i]!.id)).toEqual(['1', '2', '3', '4', '6', '12']);
    expect(analysis.matched).toBe(10);
    expect(analysis.total).toBe(12);
  });

  it('counts a text once for a concern merged into another it also matches', () => {
    const into = (id: string) => (id === 'noise' ? 'ebike-theft' : id);
    const analysis = analyseConcerns(FIXTURE, matchers[kind], { now: NOW, countsFor: (i) => into(vocabulary[i]!.id) });
    const counts = Object.fromEntries(analysis.concerns.map((c) => [c.id, c.count]));
    // Text 6 speaks of both: once. Text 5 adds one.
    expect(counts['ebike-theft']).toBe(7);
    expect(counts.noise).toBeUndefined();
  });
});

describe('precision of the top 10 concerns on the labelled set', () => {
  /** Share of (text, concern) assignments among the ten biggest concerns that the labels confirm. */
  function precision(matcher: ConcernMatcher) {
    const texts = labelledConcernTexts();
    const found = texts.map((t) => ids(matcher, t.text));
    const counts = new Map<string, number>();
    for (const list of found) for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10).map(([id]) => id);
    let right = 0;
    let wrong = 0;
    let missed = 0;
    texts.forEach((t, i) => {
      for (const id of found[i]!) if (top.includes(id)) (t.labels.includes(id) ? right++ : wrong++);
      for (const label of t.labels) if (top.includes(label) && !found[i]!.includes(label)) missed++;
    });
    return { texts: texts.length, precision: right / (right + wrong), recall: right / (right + missed) };
  }

  it.each(['jieba', 'vocabulary'] as const)('stays above 0.90 with the %s segmenter', (kind) => {
    const result = precision(matchers[kind]);
    expect(result.texts).toBeGreaterThanOrEqual(300);
    console.log(`concerns precision (${kind}): ${result.precision.toFixed(3)}, recall ${result.recall.toFixed(3)} over ${result.texts} texts`);
    expect(result.precision).toBeGreaterThan(0.9);
    expect(result.recall).toBeGreaterThan(0.85);
  });
});
