/**
 * `npx tsx bench/column-store.ts [--responses 1000000]`: the column store's passes on their own, without a
 * database or HTTP: how long an answer filter's counts and a cross-tab take over a million responses of the
 * demo survey (random answers), and how many bytes the columns hold. Each figure is the median of 15 passes
 * after 5 unmeasured ones, with one response added before each pass so no remembered pass is reused.
 */
import { parseArgs } from 'node:util';
import { SurveyColumns } from '../server/services/results/survey-columns.js';
import { median } from './lib/figures.js';
import { DEMO_QUESTIONS, RandomAnswers } from './lib/random-answers.js';

const { values } = parseArgs({ options: { responses: { type: 'string', default: '1000000' } } });
const count = Number(values.responses);
const questions = DEMO_QUESTIONS;
const answers = new RandomAnswers(questions, ['wuxing', 'nanxun', 'deqing', 'changxing', 'anji']);
const response = (i: number) => answers.response(i);

const columns = new SurveyColumns(questions);
const started = performance.now();
for (let i = 0; i < count; i += 1) columns.add(response(i));
process.stdout.write(`${count.toLocaleString('en')} responses added in ${((performance.now() - started) / 1000).toFixed(1)} s; columns hold ${(columns.bytes / 1e6).toFixed(1)} MB (${(columns.bytes / count).toFixed(1)} bytes per response)\n`);

async function time(name: string, pass: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    columns.add(response(i));
    const t0 = performance.now();
    await pass();
    if (i >= 5) ms.push(performance.now() - t0);
  }
  process.stdout.write(`${name}: median ${median(ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms\n`);
}
await time('counts, answer filter victim:yes', () => columns.counts({ answer: { question: 'victim', value: 'yes' } }));
await time('counts, answer filter on a ranking item', () => columns.counts({ answer: { question: 'top-concerns', value: 'telecom-fraud' } }));
await time('cross-tab district × victim (single × single)', () => columns.crossCounts({}, 'district', 'victim', { rows: 0, cols: 0 }));
await time('cross-tab district × victim kind (multiple)', () => columns.crossCounts({}, 'district', 'victim-kind', { rows: 0, cols: 0 }));
await time('cross-tab concerns at any rank × safety (rating)', () => columns.crossCounts({ answer: { question: 'victim', value: 'yes' } }, 'top-concerns', 'neighbourhood-safety', { rows: -1, cols: 0 }));
