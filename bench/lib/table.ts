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
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const pad = (text: string, i: number) => (right.has(i) ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const line = (values: string[]) => `| ${values.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}
