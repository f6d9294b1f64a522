/**
 * Repeated measurements of one figure, next to its baseline measured in the same rounds, boiled down to medians
 * and spreads, and the one table `npm run bench` prints (Markdown, to paste into bench/README.md as is).
 */
import { markdownTable } from './table.js';

/** One measurement: a rate (requests, votes or pages per second, or 1/seconds for start-up) and latencies in ms. */
export interface Measurement {
  rate: number;
  p50: number;
  p99: number;
}

export interface Figure {
  /** What is measured, e.g. "survey page GET". */
  name: string;
  unit: string;
  minyi: Measurement[];
  /** The baseline, measured in the same rounds (round i of each next to each other). */
  baseline?: { label: string; rounds: Measurement[] };
  /** The goal in words, and whether the medians meet it. */
  goal?: { text: string; met: boolean };
  /** Anything else worth a footnote (consistency checks, counts). */
  note?: string;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Per-round ratios of Minyi's rate to the baseline's: rounds ran back to back, so each ratio shares its moment's noise. */
export function ratios(figure: Figure): number[] {
  if (!figure.baseline) return [];
  return figure.minyi.map((m, i) => m.rate / figure.baseline!.rounds[i]!.rate).filter(Number.isFinite);
}

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

const number = (value: number) => (!Number.isFinite(value) ? '—' : value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(value >= 10 ? 1 : 2));

function rates(rounds: Measurement[]): string {
  const values = rounds.map((m) => m.rate);
  return `${number(median(values))} (${number(Math.min(...values))}–${number(Math.max(...values))})`;
}

const latency = (rounds: Measurement[]) => `${number(median(rounds.map((m) => m.p50)))} / ${number(median(rounds.map((m) => m.p99)))}`;

export function figuresTable(figures: Figure[]): string {
  const header = ['figure', 'unit', 'Minyi median (min–max)', 'p50 / p99 ms', 'baseline', 'baseline median (min–max)', 'p50 / p99 ms', 'ratio median (min–max)', 'goal', 'met'];
  const rows = figures.map((f) => {
    const r = ratios(f);
    return [
      f.name,
      f.unit,
      rates(f.minyi),
      latency(f.minyi),
      f.baseline?.label ?? '—',
      f.baseline ? rates(f.baseline.rounds) : '—',
      f.baseline ? latency(f.baseline.rounds) : '—',
      r.length > 0 ? `${median(r).toFixed(2)}× (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})` : '—',
      f.goal?.text ?? '—',
      f.goal ? (f.goal.met ? 'yes' : '**no**') : '—',
    ];
  });
  return markdownTable(header, rows, (i) => i === 2 || i === 3 || i === 5 || i === 6 || i === 7);
}
