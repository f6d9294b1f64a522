/** Prints benchmark results as one aligned table, in Markdown so it can be pasted into bench/README.md as is. */
import type { LoadSummary } from './run-autocannon.js';

export interface ScenarioRow {
  scenario: string;
  summary: LoadSummary;
  /** Minyi's rate divided by each baseline's rate, e.g. [{ label: 'bare hbs', baseline: summary }]. */
  comparedWith?: Array<{ label: string; baseline: LoadSummary }>;
}

const ms = (value: number) => value.toFixed(value < 10 ? 1 : 0);

function unexpectedText(summary: LoadSummary): string {
  if (summary.unexpectedTotal === 0) return '0';
  const byStatus = Object.entries(summary.unexpected).map(([status, count]) => `${count}×${status}`);
  return `${summary.unexpectedTotal} (${byStatus.join(', ')})`;
}

function ratioText(row: ScenarioRow): string {
  if (!row.comparedWith?.length) return 'baseline';
  return row.comparedWith
    .map(({ label, baseline }) => `${(row.summary.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}× ${label}`)
    .join('; ');
}

/** One Markdown table with aligned columns; `right(i)` says which columns are numbers (right-aligned). */
export function markdownTable(header: string[], rows: string[][], right: (i: number) => boolean): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function formatTable(rows: ScenarioRow[]): string {
  const header = ['scenario', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'responses', 'unexpected status', 'conn errors', 'ratio to baseline'];
  const right = new Set([1, 2, 3, 4, 5, 7]);
  const cells = rows.map((row) => {
    const s = row.summary;
    return [
      row.scenario,
      s.requestsPerSecond.toFixed(0),
      ms(s.latency.p50),
      ms(s.latency.p97_5),
      ms(s.latency.p99),
      String(s.responses),
      unexpectedText(s),
      String(s.errors) + (s.timeouts > 0 ? ` (${s.timeouts} timeouts)` : ''),
      ratioText(row),
    ];
  });
  return markdownTable(header, cells, (i) => right.has(i));
}
