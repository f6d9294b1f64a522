import { describe, expect, it } from 'vitest';
import { topEntries, VoteWatch } from '../../../../server/services/voting/vote-watch.js';

const T0 = Date.UTC(2026, 11, 4, 8, 0, 0);
const MINUTE = 60_000;

describe('VoteWatch', () => {
  it('ranks the busiest minutes and address groups of the last hour, and forgets older ones', () => {
    const watch = new VoteWatch('secret');
    for (let i = 0; i < 5; i += 1) watch.record('s', 'group-a', [], T0 + 1000 * i);
    for (let i = 0; i < 2; i += 1) watch.record('s', 'group-b', [], T0 + 2 * MINUTE);
    const report = watch.report('s', T0 + 3 * MINUTE);
    expect(report.busiestMinutes).toEqual([{ minute: new Date(T0).toISOString(), votes: 5 }, { minute: new Date(T0 + 2 * MINUTE).toISOString(), votes: 2 }]);
    expect(report.busiestGroups.map((g) => g.votes)).toEqual([5, 2]);
    // Keyed and shortened: not the hash it was given.
    expect(report.busiestGroups[0]!.group).toMatch(/^[\w-]{10}$/);
    expect(report.busiestGroups[0]!.group).not.toContain('group-a');
    const later = watch.report('s', T0 + 61 * MINUTE);
    expect(later.busiestMinutes).toEqual([{ minute: new Date(T0 + 2 * MINUTE).toISOString(), votes: 2 }]);
    expect(watch.report('s', T0 + 63 * MINUTE).busiestGroups).toEqual([]);
  });

  it('keeps at most 500 address groups a minute, still counting the minute\'s votes', () => {
    const watch = new VoteWatch('secret');
    for (let i = 0; i < 600; i += 1) watch.record('s', `group-${i}`, [], T0);
    const report = watch.report('s', T0, 1000);
    expect(report.busiestMinutes[0]!.votes).toBe(600);
    expect(report.busiestGroups).toHaveLength(500);
  });

  it('counts free texts that repeat verbatim (whitespace aside), and says when it stopped tracking new ones', () => {
    const watch = new VoteWatch('secret');
    for (const text of ['same', ' same ', 'same', 'other', 'two  words', 'two words', '']) watch.record('s', 'g', [text], T0);
    let report = watch.report('s', T0);
    expect(report.repeatedTexts).toBe(3);
    expect(report.topTexts).toEqual([{ text: 'same', count: 3 }, { text: 'two words', count: 2 }]);
    expect(report.textsTruncated).toBe(false);
    for (let i = 0; i < 2000; i += 1) watch.record('s', 'g', [`text ${i}`], T0);
    report = watch.report('s', T0);
    expect(report.textsTruncated).toBe(true);
    watch.record('s', 'g', ['same'], T0);
    expect(watch.report('s', T0).repeatedTexts).toBe(4);
  });
});

describe('topEntries', () => {
  it('picks what a full sort by votes, then key, would put first', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const size of [0, 1, 3, 5, 6, 200, 30_000]) {
      const counts = new Map<string, number>();
      for (let i = 0; i < size; i += 1) counts.set(`g${Math.floor(random() * 1e9).toString(36)}`, 1 + Math.floor(random() * 4));
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const k of [0, 1, 5]) expect(topEntries(counts, k), `${size} groups, top ${k}`).toEqual(sorted.slice(0, k));
    }
  });
});
