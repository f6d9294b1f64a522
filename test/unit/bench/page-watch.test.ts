import { describe, expect, it } from 'vitest';
import { judgePages, type PageAnswer } from '../../../bench/lib/page-watch.js';

/** Rounds of two pages, 1 s apart from t = 0; `status(round, page)` says what each answered. */
function rounds(count: number, status: (round: number, page: number) => number | string): PageAnswer[] {
  const answers: PageAnswer[] = [];
  for (let round = 0; round < count; round += 1) {
    for (const page of [0, 1]) {
      const s = status(round, page);
      answers.push({ page: `page ${page}`, round, sentAt: round * 1000, answeredAt: round * 1000 + 50, status: s, correct: s === 200 });
    }
  }
  return answers;
}

const fault = { start: 5000, end: 10_000 };
const options = { windowMs: 60_000, cutsConnections: false };

describe('judgePages', () => {
  it('accepts 503 during the fault and until the pages are healthy again', () => {
    const verdict = judgePages(rounds(75, (r) => (r >= 5 && r <= 12 ? 503 : 200)), fault, options);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.unavailable).toBe(16);
    expect(verdict.healthyAfterMs).toBe(3000);
  });

  it('refuses a 503 after the pages were healthy again', () => {
    const verdict = judgePages(rounds(75, (r, p) => (r === 30 && p === 1 ? 503 : 200)), fault, options);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual(['page 1: 503 after recovery (×1)']);
  });

  it('refuses a 404 or a 500 even during the fault', () => {
    expect(judgePages(rounds(75, (r, p) => (r === 6 && p === 0 ? 404 : 200)), fault, options).problems).toEqual(['page 0: 404 during the fault (×1)']);
    expect(judgePages(rounds(75, (r, p) => (r === 7 && p === 0 ? 500 : 200)), fault, options).ok).toBe(false);
  });

  it('refuses pages still failing 60 s after the fault, and a watch that stopped too early', () => {
    expect(judgePages(rounds(75, (r) => (r >= 5 ? 503 : 200)), fault, options).problems).toContain("pages not all healthy within 60 s of the fault's end (×1)");
    expect(judgePages(rounds(30, () => 200), fault, options).problems).toEqual(['watched only 19 s after the fault (×1)']);
  });

  it('allows cut connections only where the fault kills a process', () => {
    const answers = rounds(75, (r, p) => (r === 6 && p === 0 ? 'ECONNRESET' : 200));
    expect(judgePages(answers, fault, options).ok).toBe(false);
    expect(judgePages(answers, fault, { ...options, cutsConnections: true }).ok).toBe(true);
  });
});
