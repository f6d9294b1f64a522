/** Pearson's chi-square test of independence for a table where each respondent is in one row and one column. Pure. */

export interface ChiSquare {
  statistic: number;
  df: number;
  /** P(χ² ≥ statistic) under independence. */
  p: number;
  /** Cells whose expected count is below 5, where the χ² approximation is poor (Cochran). */
  smallExpected: number;
  cells: number;
  /** Cochran's rule broken: more than 20% of cells expect fewer than 5, or one expects fewer than 1. */
  warning: boolean;
}

/** ln Γ(x), Lanczos (g = 7, n = 9): 15 significant digits for x > 0. */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i += 1) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x): series below a + 1, continued fraction above (Numerical Recipes 6.2). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n += 1) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(front));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(front) * h);
}

/** The test on observed[row][column]; rows and columns without respondents are left out. Null below a 2 × 2 table. */
export function chiSquareTest(observed: number[][]): ChiSquare | null {
  const rowSums = observed.map((row) => row.reduce((a, b) => a + b, 0));
  const width = Math.max(0, ...observed.map((row) => row.length));
  const colSums = Array.from({ length: width }, (_, j) => observed.reduce((sum, row) => sum + (row[j] ?? 0), 0));
  const rows = rowSums.map((sum, i) => ({ sum, i })).filter((r) => r.sum > 0);
  const cols = colSums.map((sum, j) => ({ sum, j })).filter((c) => c.sum > 0);
  if (rows.length < 2 || cols.length < 2) return null;
  const total = rows.reduce((a, r) => a + r.sum, 0);
  let statistic = 0;
  let smallExpected = 0;
  let belowOne = false;
  for (const r of rows) {
    for (const c of cols) {
      const expected = (r.sum * c.sum) / total;
      const o = observed[r.i]![c.j] ?? 0;
      statistic += (o - expected) ** 2 / expected;
      if (expected < 5) smallExpected += 1;
      if (expected < 1) belowOne = true;
    }
  }
  const df = (rows.length - 1) * (cols.length - 1);
  const cells = rows.length * cols.length;
  return { statistic, df, p: gammaQ(df / 2, statistic / 2), smallExpected, cells, warning: belowOne || smallExpected / cells > 0.2 };
}
