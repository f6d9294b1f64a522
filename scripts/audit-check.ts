/**
 * npm run audit:check [-- --require]: fails when `npm audit --omit=dev` reports a moderate, high or critical
 * advisory in what Minyi ships, and says plainly when it could not check (see audit-verdict.ts).
 */
import { spawnSync } from 'node:child_process';
import { auditVerdict } from './audit-verdict.js';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
if (run.error) {
  console.error(`FAILED: npm could not be run (${run.error.message}).`);
  process.exit(1);
}
const verdict = auditVerdict(run.stdout, run.stderr, { require: process.argv.includes('--require') });
(verdict.exitCode === 0 ? console.log : console.error)(verdict.message);
process.exit(verdict.exitCode);
