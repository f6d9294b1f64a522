import { describe, expect, it } from 'vitest';
import type { Question } from '../../../../server/models/survey-definition.types.js';
import { SurveyColumns, type ColumnRow } from '../../../../server/services/results/survey-columns.js';

const text = (s: string) => ({ 'zh-CN': s, en: s });
const questions: Question[] = [
  { id: 'kind', type: 'multiple', title: text('Kind'), required: false, other: true, options: [{ id: 'theft', label: text('Theft') }, { id: 'fraud', label: text('Fraud') }] },
  { id: 'rank', type: 'ranking', title: text('Rank'), required: false, rankCount: 2, options: [{ id: 'a', label: text('A') }, { id: 'b', label: text('B') }, { id: 'c', label: text('C') }] },
  { id: 'safety', type: 'rating', title: text('Safety'), required: false, scale: 5, lowLabel: text('low'), highLabel: text('high') },
  { id: 'place', type: 'district', title: text('Place'), required: false },
];
const row = (answers: ColumnRow['answers'], day = '2026-11-01', district: string | null = 'east', channel = 'web'): ColumnRow => ({ answers, day, district, channel });

function sample(): SurveyColumns {
  const columns = new SurveyColumns(questions, 2);
  columns.add(row({ kind: ['theft', 'fraud'], rank: ['a', 'b'], safety: 5, place: 'east' }));
  columns.add(row({ kind: ['theft'], rank: ['b', 'a'], safety: 3, place: 'east' }, '2026-11-02'));
  columns.add(row({ kind: ['other'], rank: ['a'], safety: 4, place: 'west' }, '2026-11-02', 'west', 'phone'));
  columns.add(row({ safety: 1, place: 'west' }, '2026-11-03', 'west'));
  return columns;
}

describe('SurveyColumns', () => {
  it('counts like a tally, with every filter field', async () => {
    const columns = sample();
    const all = await columns.counts({});
    expect(all.total).toBe(4);
    expect(Object.fromEntries(all.questions.get('kind')!.options)).toEqual({ theft: 2, fraud: 1, other: 1 });
    expect(all.questions.get('kind')!.answered).toBe(3);
    expect(Object.fromEntries(all.questions.get('rank')!.ranks.get('a')!)).toEqual({ 1: 2, 2: 1 });
    expect(Object.fromEntries(all.questions.get('safety')!.options)).toEqual({ '5': 1, '3': 1, '4': 1, '1': 1 });
    expect((await columns.counts({ answer: { question: 'kind', value: 'theft' } })).total).toBe(2);
    // A ranking filter selects those who ranked the item at any position.
    expect((await columns.counts({ answer: { question: 'rank', value: 'b' } })).total).toBe(2);
    expect((await columns.counts({ answer: { question: 'safety', value: '1' } })).total).toBe(1);
    expect((await columns.counts({ from: '2026-11-02', channel: 'web' })).total).toBe(2);
    expect((await columns.counts({ district: 'west', to: '2026-11-02' })).total).toBe(1);
    expect((await columns.counts({ district: 'nowhere' })).total).toBe(0);
  });

  it('crosses two questions with each respondent once per row base', async () => {
    const columns = sample();
    const cross = (await columns.crossCounts({}, 'place', 'kind', { rows: 0, cols: 0 }))!;
    // east: two respondents, theft ×2, fraud ×1: the base is 2, not the 3 selections.
    expect(cross.rowBase('east')).toBe(2);
    expect(cross.count('east', 'theft')).toBe(2);
    expect(cross.count('east', 'fraud')).toBe(1);
    // west: one answered "kind" (other); the fourth respondent did not answer it and is not in the table.
    expect(cross.rowBase('west')).toBe(1);
    expect(cross.total).toBe(3);
    const ranked = (await columns.crossCounts({}, 'rank', 'safety', { rows: -1, cols: 0 }))!;
    expect(ranked.rowBase('a')).toBe(3);
    expect(ranked.ratingSum('a')).toBe(12);
    const first = (await columns.crossCounts({}, 'rank', 'safety', { rows: 0, cols: 0 }))!;
    expect(first.rowBase('a')).toBe(2);
    expect(first.rowBase('b')).toBe(1);
  });

  it('retires the rows of a day read again, compacts, and widens a bit set for unknown options', async () => {
    const columns = sample();
    columns.retireDays(['2026-11-02']);
    expect(columns.count('2026-11-02')).toBe(0);
    expect((await columns.counts({})).total).toBe(2);
    columns.add(row({ kind: Array.from({ length: 40 }, (_, i) => `gone-${i}`) }, '2026-11-02'));
    columns.compact();
    expect(columns.dead).toBe(0);
    expect(columns.size).toBe(3);
    const counts = await columns.counts({});
    expect(counts.questions.get('kind')!.options.get('gone-39')).toBe(1);
    expect(counts.questions.get('kind')!.options.get('theft')).toBe(1);
    expect(Object.fromEntries(counts.byDay)).toEqual({ '2026-11-01': 1, '2026-11-02': 1, '2026-11-03': 1 });
  });
});
