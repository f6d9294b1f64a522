/**
 * `npx tsx bench/column-store.ts [--responses 1000000]`: the column store's passes on their own, without a
 * database or HTTP: how long an answer filter's counts and a cross-tab take over a million responses of the
 * demo survey (random answers), and how many bytes the columns hold. Each figure is the median of 15 passes
 * after 5 unmeasured ones, with one response added before each pass so no remembered pass is reused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Question } from '../server/models/survey-definition.types.js';
import { projectRoot } from '../server/paths.js';
import { SurveyColumns, type ColumnRow } from '../server/services/results/survey-columns.js';
import { median } from './lib/figures.js';

const { values } = parseArgs({ options: { responses: { type: 'string', default: '1000000' } } });
const count = Number(values.responses);
const definition = JSON.parse(readFileSync(path.join(projectRoot(), 'surveys', 'top-public-security-concerns.json'), 'utf8')) as { questions: Question[] };
const questions = definition.questions;
const districts = ['wuxing', 'nanxun', 'deqing', 'changxing', 'anji'];
let seed = 42;
// A small deterministic generator, so two runs measure the same data.
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

function response(i: number): ColumnRow {
  const answers: ColumnRow['answers'] = {};
  for (const q of questions) {
    if (q.type === 'ranking') answers[q.id] = [...q.options.map((o) => o.id)].sort(() => random() - 0.5).slice(0, q.rankCount);
    else if (q.type === 'multiple') { if (random() < 0.3) answers[q.id] = [...new Set([pick(q.options).id, pick(q.options).id])]; }
    else if (q.type === 'single') answers[q.id] = pick(q.options).id;
    else if (q.type === 'rating') answers[q.id] = 1 + Math.floor(random() * q.scale);
    else if (q.type === 'yes-no') answers[q.id] = random() < 0.3 ? 'yes' : 'no';
    else if (q.type === 'district') answers[q.id] = pick(districts);
    else if (q.type === 'text' && random() < 0.2) answers[q.id] = '加强夜间巡逻';
  }
  return { answers, day: `2026-${String(1 + (i % 9)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, district: (answers.district as string) ?? null, channel: 'web' };
}

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
