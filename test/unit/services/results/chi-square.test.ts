import { describe, expect, it } from 'vitest';
import { chiSquareTest, gammaQ } from '../../../../server/services/results/chi-square.js';

describe('chiSquareTest', () => {
  it('matches a hand-computed 2 × 2 table', () => {
    // Rows 30, 70; columns 40, 60; expected 12, 18, 28, 42; χ² = 4/12 + 4/18 + 4/28 + 4/42 = 0.793651.
    const result = chiSquareTest([[10, 20], [30, 40]])!;
    expect(result.statistic).toBeCloseTo(0.793651, 5);
    expect(result.df).toBe(1);
    // df 1: p = 2(1 − Φ(√0.793651)) = 0.37298.
    expect(result.p).toBeCloseTo(0.37298, 4);
    expect(result.warning).toBe(false);
  });

  it('matches a 2 × 3 table, where p = exp(−χ²/2) exactly', () => {
    // Expected 15, 7.5, 7.5 in both rows: χ² = 2 (25/15 + 6.25/7.5 + 6.25/7.5) = 6.6667; df 2.
    const result = chiSquareTest([[10, 10, 10], [20, 5, 5]])!;
    expect(result.statistic).toBeCloseTo(6.666667, 5);
    expect(result.df).toBe(2);
    expect(result.p).toBeCloseTo(Math.exp(-6.666667 / 2), 6);
  });

  it('warns when expected counts are small and leaves out empty rows and columns', () => {
    const result = chiSquareTest([[1, 2, 0], [3, 4, 0], [0, 0, 0]])!;
    expect(result.df).toBe(1);
    expect(result.cells).toBe(4);
    expect(result.smallExpected).toBe(4);
    expect(result.warning).toBe(true);
    expect(chiSquareTest([[5, 5]])).toBeNull();
  });

  it('computes the regularized upper gamma on both branches', () => {
    // Q(1, x) = exp(−x); Q(0.5, x) = erfc(√x): erfc(1) = 0.157299.
    expect(gammaQ(1, 0.5)).toBeCloseTo(Math.exp(-0.5), 10);
    expect(gammaQ(1, 7)).toBeCloseTo(Math.exp(-7), 10);
    expect(gammaQ(0.5, 1)).toBeCloseTo(0.157299, 5);
  });
});
