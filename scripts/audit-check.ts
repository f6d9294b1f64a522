/**
 * npm run audit:check: fails when `npm audit --omit=dev` reports a high or critical vulnerability in what
 * Minyi ships. Where the registry's audit service cannot be reached (some mirrors and proxies refuse it),
 * it says so and exits 0, since nothing was found either way; any other failure exits 1.
 */
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report: { statusCode?: number; message?: string; metadata?: { vulnerabilities?: Record<string, number> } };
try {
  report = JSON.parse(run.stdout) as typeof report;
} catch {
  console.error(`npm audit printed no report (exit ${run.status}):\n${run.stderr}`);
  process.exit(1);
}
const counts = report.metadata?.vulnerabilities;
if (!counts) {
  console.log(`npm audit: the audit service could not be asked (${report.message ?? `status ${report.statusCode}`}); no vulnerabilities checked.`);
  process.exit(0);
}
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(`npm audit --omit=dev: ${Object.entries(counts).map(([level, n]) => `${level} ${n}`).join(', ')}`);
process.exit(serious > 0 ? 1 : 0);
