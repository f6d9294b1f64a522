/**
 * `npx tsx bench/counter-storage.ts [--days 300] [--per-day 2000]`: what the form of stored counters costs
 * FerretDB 1.24, on a database of its own. Day slices of the demo survey (random answers, 10 districts, three
 * channels) and deltas of 25 votes are stored twice, with their counters as nested documents and as JSON
 * text (packed-counters.ts); then the reads the counts make are timed on each: a lookup by `_id` that finds
 * nothing (a fold asking whether a newer version exists), and the read of every delta of a survey. Each
 * figure is the median of 10 reads, with FerretDB's CPU time per read beside it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import type { Channel } from '../server/models/response.model.js';
import { packCounters } from '../server/services/tallies/packed-counters.js';
import { counterTree } from '../server/services/tallies/tally-increments.js';
import { TallySums } from '../server/services/tallies/tally-sums.js';
import { median } from './lib/figures.js';
import { startBenchDatabase } from './lib/minyi-process.js';
import { DEMO_QUESTIONS, RandomAnswers } from './lib/random-answers.js';

const { values } = parseArgs({ options: { days: { type: 'string', default: '300' }, 'per-day': { type: 'string', default: '2000' } } });
const days = Number(values.days);
const perDay = Number(values['per-day']);
const DELTAS = 100;
const CHANNELS: Channel[] = ['web', 'phone', 'kiosk'];
const answers = new RandomAnswers(DEMO_QUESTIONS, Array.from({ length: 10 }, (_, i) => `district-${i}`));

const dayOf = (i: number) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
/** The counters of `count` responses on `day`: its slice, and the tally they add to. */
function sums(day: string, count: number): TallySums {
  const sums = new TallySums(DEMO_QUESTIONS);
  for (let i = 0; i < count; i += 1) sums.add({ ...answers.response(i, day), channel: answers.pick(CHANNELS) });
  return sums;
}

const db = await startBenchDatabase();
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const connection = await mongoose.createConnection(db.database.uri).asPromise();
try {
  const slices = Array.from({ length: days }, (_, i) => ({ day: dayOf(i), tree: counterTree(sums(dayOf(i), perDay).slices.get(dayOf(i))!) }));
  const deltas = Array.from({ length: DELTAS }, (_, i) => {
    const batch = sums(dayOf(days), 25);
    return { tally: counterTree(batch.tally), slices: { [dayOf(days)]: counterTree(batch.slices.get(dayOf(days))!) } };
  });
  const timed = async (read: (i: number) => Promise<unknown>) => {
    const ms: number[] = [];
    const cpuBefore = cpuMs(db.pid()!);
    for (let i = 0; i < 10; i += 1) {
      const t0 = performance.now();
      await read(i);
      ms.push(performance.now() - t0);
    }
    return { ms: median(ms), cpu: (cpuMs(db.pid()!) - cpuBefore) / 10 };
  };
  const figures: Record<string, { ms: number; cpu: number; bytes: number }> = {};
  for (const form of ['documents', 'text'] as const) {
    const pack = <T extends object>(tree: T) => (form === 'text' ? packCounters(tree as never) : tree);
    const sliceCollection = connection.collection(`slices_as_${form}`);
    const deltaCollection = connection.collection(`deltas_as_${form}`);
    for (const [i, slice] of slices.entries()) await sliceCollection.insertOne({ _id: `survey/${slice.day}#1` as never, survey: 'survey', day: slice.day, version: 1, counters: pack(slice.tree), folded: { writer: [1, i + 1] } });
    for (const [i, delta] of deltas.entries()) await deltaCollection.insertOne({ _id: `survey.writer.${i + 1}` as never, survey: 'survey', writer: 'writer', seq: i + 1, votes: 25, tally: pack(delta.tally), slices: pack(delta.slices) });
    const bytes = JSON.stringify(await sliceCollection.find({}).toArray()).length;
    figures[`${form}: lookup by _id among ${days} slices`] = { ...(await timed((i) => sliceCollection.findOne({ _id: `survey/missing#${i}` as never }))), bytes };
    figures[`${form}: read ${DELTAS} deltas of a survey`] = { ...(await timed(() => deltaCollection.find({ survey: 'survey' }).toArray())), bytes: JSON.stringify(await deltaCollection.find({}).toArray()).length };
  }
  process.stdout.write(`FerretDB 1.24 (SQLite), ${days} day slices of ${perDay.toLocaleString('en')} responses each, ${DELTAS} deltas of 25 votes\n\n`);
  process.stdout.write('| read | counters as documents | as JSON text | ratio |\n| --- | --: | --: | --: |\n');
  for (const read of [`lookup by _id among ${days} slices`, `read ${DELTAS} deltas of a survey`]) {
    const [asDocuments, asText] = [figures[`documents: ${read}`]!, figures[`text: ${read}`]!];
    const cell = (f: { ms: number; cpu: number }) => `${f.ms.toFixed(1)} ms (FerretDB CPU ${f.cpu.toFixed(0)} ms)`;
    process.stdout.write(`| ${read} | ${cell(asDocuments)} | ${cell(asText)} | ${(asDocuments.ms / asText.ms).toFixed(1)}× |\n`);
  }
  process.stdout.write(`\nThe data as the driver returns it: slices ${(figures[`documents: lookup by _id among ${days} slices`]!.bytes / 1e6).toFixed(1)} MB as documents, ${(figures[`text: lookup by _id among ${days} slices`]!.bytes / 1e6).toFixed(1)} MB as text.\n`);
} finally {
  await connection.close();
  await db.stop();
}
