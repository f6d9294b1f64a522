import { describe, expect, it } from 'vitest';
import {
  crossTab,
  DEFAULT_SMALL_CELL_THRESHOLD,
  meanWithConfidence,
  rankingSummary,
  shares,
  smallCellProtected,
  tCritical,
  topBoxShare,
  wilsonInterval,
  wordCounts,
} from '../../../../server/services/dashboards/statistics.js';

// Expected values are worked by hand with z = 1.959964, z² = 3.841459:
// Wilson centre = (p + z²/2n) / (1 + z²/n), half width = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).

describe('wilsonInterval', () => {
  it('is null when nobody answered', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('gives 1/2 an interval symmetric about one half', () => {
    const interval = wilsonInterval(1, 2);
    // z²/n = 1.920729, d = 2.920729; centre = (0.5 + 0.960365) / d = 0.5
    // half = 1.959964·√(0.25/2 + 3.841459/16) / d = 1.959964·√0.365091 / d = 1.184269 / 2.920729 = 0.405469
    expect(interval?.low).toBeCloseTo(0.0945, 4); // 0.5 − 0.405469
    expect(interval?.high).toBeCloseTo(0.9055, 4); // 0.5 + 0.405469
  });

  it('does not collapse to zero width at 0/10', () => {
    const interval = wilsonInterval(0, 10);
    // centre = half = (z²/20) / (1 + z²/10) = 0.192073 / 1.384146 = 0.138766
    expect(interval?.low).toBe(0); // centre − half = 0, clamped against rounding
    expect(interval?.high).toBeCloseTo(0.2775, 4); // 2 × 0.138766 = z²/10 / (1 + z²/10) = 0.384146 / 1.384146
  });

  it('does not collapse to zero width at 10/10', () => {
    const interval = wilsonInterval(10, 10);
    // centre = (1 + 0.192073) / 1.384146 = 0.861234; half = √(z²/400)·z / 1.384146 = 0.192073 / 1.384146 = 0.138766
    expect(interval?.low).toBeCloseTo(0.7225, 4); // 0.861234 − 0.138766 = 1 / 1.384146
    expect(interval?.high).toBeLessThanOrEqual(1);
    expect(interval?.high).toBeCloseTo(1, 4);
  });

  it('refuses impossible counts', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
  });
});

describe('tCritical', () => {
  it('matches printed two-sided 95% t tables to three decimals', () => {
    expect(tCritical(1)).toBeCloseTo(12.706, 3); // exact: cot(0.05·π/2)
    expect(tCritical(2)).toBeCloseTo(4.303, 3); // exact: √(2/(0.05·1.95) − 2) = √18.5128
    expect(tCritical(4)).toBeCloseTo(2.776, 3);
    expect(tCritical(5)).toBeCloseTo(2.571, 3);
    expect(tCritical(10)).toBeCloseTo(2.228, 3);
    expect(tCritical(30)).toBeCloseTo(2.042, 3);
    expect(tCritical(100)).toBeCloseTo(1.984, 3);
    expect(tCritical(1_000_000)).toBeCloseTo(1.96, 3);
    expect(tCritical(Number.POSITIVE_INFINITY)).toBeCloseTo(1.959964, 5);
  });

  it('matches tables at other confidence levels', () => {
    expect(tCritical(10, 0.9)).toBeCloseTo(1.812, 3);
    expect(tCritical(10, 0.99)).toBeCloseTo(3.169, 3);
  });

  it('refuses fractional or missing degrees of freedom', () => {
    expect(() => tCritical(0)).toThrow(RangeError);
    expect(() => tCritical(1.5)).toThrow(RangeError);
  });
});

describe('meanWithConfidence', () => {
  it('gives the mean and its t interval for one response per value', () => {
    const summary = meanWithConfidence({ '1': 1, '2': 1, '3': 1, '4': 1, '5': 1 });
    expect(summary?.n).toBe(5);
    expect(summary?.mean).toBeCloseTo(3, 4); // 15 / 5
    expect(summary?.sd).toBeCloseTo(1.5811, 4); // √((4 + 1 + 0 + 1 + 4) / 4) = √2.5
    expect(summary?.low).toBeCloseTo(1.0368, 4); // 3 − 2.776445·1.581139/√5 = 3 − 1.963243
    expect(summary?.high).toBeCloseTo(4.9632, 4); // 3 + 1.963243
  });

  it('is null when nobody rated', () => {
    expect(meanWithConfidence({})).toBeNull();
    expect(meanWithConfidence({ '3': 0, '4': 0 })).toBeNull();
  });

  it('gives a mean but no spread or interval for a single response', () => {
    expect(meanWithConfidence({ '7': 1, '8': 0 })).toEqual({ n: 1, mean: 7, sd: null, low: null, high: null });
  });

  it('gives a zero-width interval when everyone chose the same value', () => {
    // mean 4, every deviation 0 → sd 0 → half width t(2)·0/√3 = 0
    expect(meanWithConfidence({ '4': 3 })).toEqual({ n: 3, mean: 4, sd: 0, low: 4, high: 4 });
  });

  it('leaves off answers that are not on the scale and uses t with 1 df for two responses', () => {
    const summary = meanWithConfidence({ '2': 1, '4': 1, 'dont-know': 5 });
    expect(summary?.n).toBe(2);
    expect(summary?.mean).toBeCloseTo(3, 4); // (2 + 4) / 2
    expect(summary?.sd).toBeCloseTo(1.4142, 4); // √((1 + 1) / 1)
    expect(summary?.low).toBeCloseTo(-9.7062, 4); // 3 − 12.706205·1.414214/√2 = 3 − 12.706205
    expect(summary?.high).toBeCloseTo(15.7062, 4); // 3 + 12.706205: wide, as two answers deserve
  });
});

describe('topBoxShare', () => {
  it('counts 4 and 5 as satisfied on a 5-point scale', () => {
    const summary = topBoxShare({ '1': 1, '2': 1, '3': 2, '4': 3, '5': 3 }, 5);
    expect(summary.satisfied).toBe(6); // 3 + 3
    expect(summary.n).toBe(10); // 1 + 1 + 2 + 3 + 3
    expect(summary.share).toBeCloseTo(0.6, 4);
    // centre = (0.6 + 0.192073) / 1.384146 = 0.572247; half = z·√(0.024 + 0.009604) / 1.384146 = 0.259573
    expect(summary.low).toBeCloseTo(0.3127, 4); // 0.572247 − 0.259573
    expect(summary.high).toBeCloseTo(0.8318, 4); // 0.572247 + 0.259573
  });

  it('counts 9 and 10 as satisfied on a 10-point scale', () => {
    const summary = topBoxShare({ '8': 2, '9': 1, '10': 1 }, 10);
    expect(summary.satisfied).toBe(2);
    expect(summary.n).toBe(4);
    expect(summary.share).toBeCloseTo(0.5, 4);
    // z²/n = 0.960365; centre 0.5; half = z·√(0.0625 + 0.060023) / 1.960365 = 0.686048 / 1.960365 = 0.349961
    expect(summary.low).toBeCloseTo(0.15, 4); // 0.5 − 0.349961 = 0.150039
    expect(summary.high).toBeCloseTo(0.85, 4); // 0.5 + 0.349961 = 0.849961
  });

  it('handles everyone in the top box', () => {
    const summary = topBoxShare({ '5': 4 }, 5);
    expect(summary).toMatchObject({ satisfied: 4, n: 4, share: 1 });
    expect(summary.low).toBeCloseTo(0.5101, 4); // 1 / (1 + z²/4) = 1 / 1.960365
    expect(summary.high).toBeCloseTo(1, 4);
  });

  it('has no share when nobody rated', () => {
    expect(topBoxShare({}, 10)).toEqual({ satisfied: 0, n: 0, share: null, low: null, high: null });
  });
});

describe('shares', () => {
  it('divides multiple-choice counts by respondents, so shares add up to more than 100%', () => {
    // 4 respondents: {bus, bike}, {bus, walk}, {bus, bike, walk}, {} → bus 3, bike 2, walk 2, car 0
    const result = shares({ walk: 2, car: 0, bus: 3, bike: 2 }, 4, ['taxi']);
    expect(result).toEqual([
      { id: 'bus', count: 3, share: 0.75 }, // 3 / 4
      { id: 'bike', count: 2, share: 0.5 }, // 2 / 4, tied with walk: by id
      { id: 'walk', count: 2, share: 0.5 },
      { id: 'car', count: 0, share: 0 },
      { id: 'taxi', count: 0, share: 0 }, // listed, never chosen
    ]);
    expect(result.reduce((sum, { share }) => sum + (share ?? 0), 0)).toBeCloseTo(1.75, 4); // 0.75 + 0.5 + 0.5
  });

  it('has no shares when the denominator is zero', () => {
    expect(shares({ yes: 0, no: 0 }, 0)).toEqual([
      { id: 'no', count: 0, share: null },
      { id: 'yes', count: 0, share: null },
    ]);
  });
});

describe('rankingSummary', () => {
  // N = 3 items, 4 residents who answered:
  // Resident 1: park, road, school   Resident 2: road, park, school
  // Resident 3: school, park         Resident 4: road            (3 and 4 ranked fewer than N: partial)
  const ranks = {
    park: { '1': 1, '2': 2 },
    road: { '1': 2, '2': 1 },
    school: { '1': 1, '3': 2 },
  };

  it('sums Borda points and divides by everyone who answered, partial rankings included', () => {
    expect(rankingSummary(ranks, 3, 4, ['library'])).toEqual([
      // 3·2 + 2·1 = 8; 8 / 4 = 2; first 2 / 4
      { id: 'road', firstChoice: 2, firstChoiceShare: 0.5, bordaScore: 8, bordaMean: 2, mentions: 3, byRank: { '1': 2, '2': 1 } },
      // 3·1 + 2·2 = 7; 7 / 4 = 1.75; first 1 / 4
      { id: 'park', firstChoice: 1, firstChoiceShare: 0.25, bordaScore: 7, bordaMean: 1.75, mentions: 3, byRank: { '1': 1, '2': 2 } },
      // 3·1 + 1·2 = 5; 5 / 4 = 1.25; first 1 / 4; mentions 1 + 2 (9 in all = 3 + 3 + 2 + 1 ranks given)
      { id: 'school', firstChoice: 1, firstChoiceShare: 0.25, bordaScore: 5, bordaMean: 1.25, mentions: 3, byRank: { '1': 1, '3': 2 } },
      // never ranked
      { id: 'library', firstChoice: 0, firstChoiceShare: 0, bordaScore: 0, bordaMean: 0, mentions: 0, byRank: {} },
    ]);
  });

  it('breaks Borda ties by first choices, then by id', () => {
    // zoo: once first = 3 points; art: once second + once third = 2 + 1 = 3 points
    // by first choices zoo (1) leads art (0) even though "art" sorts first and has more mentions
    expect(rankingSummary({ art: { '2': 1, '3': 1 }, zoo: { '1': 1 } }, 3, 2).map(({ id }) => id)).toEqual(['zoo', 'art']);
    // x and y: each first once and second once = 2 + 1 = 3 points, 1 first choice each → by id
    expect(rankingSummary({ y: { '1': 1, '2': 1 }, x: { '1': 1, '2': 1 } }, 2, 2).map(({ id }) => id)).toEqual(['x', 'y']);
  });

  it('has no shares when nobody answered', () => {
    expect(rankingSummary({}, 3, 0, ['a'])).toEqual([
      { id: 'a', firstChoice: 0, firstChoiceShare: null, bordaScore: 0, bordaMean: null, mentions: 0, byRank: {} },
    ]);
  });

  it('refuses a rank beyond the number of items', () => {
    expect(() => rankingSummary({ a: { '4': 1 } }, 3, 1)).toThrow(RangeError);
  });
});

describe('crossTab', () => {
  it('gives row totals, row shares, null shares for an empty row, and column totals', () => {
    // "south" is not a listed row, so it is neither shown nor totalled
    const table = crossTab({ east: { yes: 3, no: 1 }, west: { yes: 1, no: 1 }, south: { yes: 9 } }, ['east', 'west', 'north'], ['yes', 'no']);
    expect(table.rows).toEqual([
      { id: 'east', total: 4, cells: [{ column: 'yes', count: 3, rowShare: 0.75 }, { column: 'no', count: 1, rowShare: 0.25 }] }, // 3/4, 1/4
      { id: 'west', total: 2, cells: [{ column: 'yes', count: 1, rowShare: 0.5 }, { column: 'no', count: 1, rowShare: 0.5 }] }, // 1/2, 1/2
      { id: 'north', total: 0, cells: [{ column: 'yes', count: 0, rowShare: null }, { column: 'no', count: 0, rowShare: null }] },
    ]);
    expect(table.total).toBe(6); // 4 + 2 + 0
    expect(table.columnTotals.map(({ id, count }) => [id, count])).toEqual([['yes', 4], ['no', 2]]); // 3 + 1 + 0, 1 + 1 + 0
    expect(table.columnTotals[0]?.share).toBeCloseTo(0.6667, 4); // 4 / 6
    expect(table.columnTotals[1]?.share).toBeCloseTo(0.3333, 4); // 2 / 6
  });

  it('has no column shares for an empty table', () => {
    expect(crossTab({}, [], ['yes'])).toEqual({ rows: [], columnTotals: [{ id: 'yes', count: 0, share: null }], total: 0 });
  });
});

describe('smallCellProtected', () => {
  it('hides cells with a few respondents but not empty ones', () => {
    expect(DEFAULT_SMALL_CELL_THRESHOLD).toBe(5);
    expect(smallCellProtected(0, DEFAULT_SMALL_CELL_THRESHOLD)).toBe(false);
    expect(smallCellProtected(1, DEFAULT_SMALL_CELL_THRESHOLD)).toBe(true);
    expect(smallCellProtected(4, DEFAULT_SMALL_CELL_THRESHOLD)).toBe(true);
    expect(smallCellProtected(5, DEFAULT_SMALL_CELL_THRESHOLD)).toBe(false);
    expect(smallCellProtected(9, 10)).toBe(true);
    expect(smallCellProtected(10, 10)).toBe(false);
  });
});

describe('wordCounts', () => {
  const texts = [
    '社区安全很重要 safety first! 😀', // 社区 区安 安全 全很 很重 重要 | safety first
    'The safety of the 社区 matters; safety at night.', // safety×2 matters night, 社区 (the/of/at are stop words)
    '我觉得社区的路灯不够 𠮷野 ok', // 觉得 得社 社区 路灯 (我觉 区的 的路 灯不 不够 hold a stop character) | 𠮷野 | ok
    '安全😀社区', // the emoji separates: 安全, 社区, and no 全社
    'ｂｕｓ 好, bus 的 Don’t', // full-width ｂｕｓ = bus ×2; lone 好 is a word; lone 的 and don't are stop words
  ];

  it('counts English words and Chinese bigrams, by count then word', () => {
    expect(wordCounts(texts)).toEqual([
      { word: '社区', count: 4, script: 'han' }, // texts 1, 2, 3, 4
      { word: 'safety', count: 3, script: 'latin' }, // 1 + 2
      { word: 'bus', count: 2, script: 'latin' }, // "b" sorts before "安"
      { word: '安全', count: 2, script: 'han' }, // texts 1 and 4
      { word: 'first', count: 1, script: 'latin' },
      { word: 'matters', count: 1, script: 'latin' },
      { word: 'night', count: 1, script: 'latin' },
      { word: 'ok', count: 1, script: 'latin' },
      { word: '全很', count: 1, script: 'han' }, // U+5168
      { word: '区安', count: 1, script: 'han' }, // U+533A
      { word: '好', count: 1, script: 'han' }, // U+597D
      { word: '很重', count: 1, script: 'han' }, // U+5F88
      { word: '得社', count: 1, script: 'han' }, // U+5F97
      { word: '觉得', count: 1, script: 'han' }, // U+89C9
      { word: '路灯', count: 1, script: 'han' }, // U+8DEF
      { word: '重要', count: 1, script: 'han' }, // U+91CD
      { word: '𠮷野', count: 1, script: 'han' }, // U+20BB7 is a surrogate pair (D842 DFB7), after the BMP
    ]);
  });

  it('keeps a CJK Extension B character whole and never pairs across an emoji', () => {
    const words = wordCounts(texts).map(({ word }) => word);
    const extensionB = words.find((word) => word.startsWith('\u{20BB7}'));
    expect(extensionB).toBe('\u{20BB7}野');
    expect([...(extensionB ?? '')]).toHaveLength(2); // two code points, three UTF-16 units
    expect(words.some((word) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(word))).toBe(false); // no lone surrogate
    expect(words).not.toContain('全社');
    expect(words.some((word) => word.includes('😀'))).toBe(false);
  });

  it('returns only the top entries and nothing for empty input', () => {
    expect(wordCounts(texts, 2).map(({ word }) => word)).toEqual(['社区', 'safety']);
    expect(wordCounts([])).toEqual([]);
    expect(wordCounts(['the 的 了', '😀'])).toEqual([]);
  });
});
