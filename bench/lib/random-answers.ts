/** Random but valid answers to the demo survey, from a small deterministic generator: two runs measure the same data. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Question } from '../../server/models/survey-definition.types.js';
import type { ColumnRow } from '../../server/services/results/survey-columns.js';
import { projectRoot } from '../../server/paths.js';

export const DEMO_QUESTIONS = (JSON.parse(readFileSync(path.join(projectRoot(), 'surveys', 'top-public-security-concerns.json'), 'utf8')) as { questions: Question[] }).questions;

export class RandomAnswers {
  private seed = 42;

  constructor(
    private readonly questions: readonly Question[],
    private readonly districts: readonly string[],
  ) {}

  random(): number {
    this.seed = (this.seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return this.seed / 2_147_483_648;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** A response of `day` (by default one of 9 months × 28 days, by its number). */
  response(i: number, day = `2026-${String(1 + (i % 9)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`): ColumnRow {
    const answers: ColumnRow['answers'] = {};
    for (const q of this.questions) {
      if (q.type === 'ranking') answers[q.id] = [...q.options.map((o) => o.id)].sort(() => this.random() - 0.5).slice(0, q.rankCount);
      else if (q.type === 'multiple') {
        if (this.random() < 0.3) answers[q.id] = [...new Set([this.pick(q.options).id, this.pick(q.options).id])];
      } else if (q.type === 'single') answers[q.id] = this.pick(q.options).id;
      else if (q.type === 'rating') answers[q.id] = 1 + Math.floor(this.random() * q.scale);
      else if (q.type === 'yes-no') answers[q.id] = this.random() < 0.3 ? 'yes' : 'no';
      else if (q.type === 'district') answers[q.id] = this.pick(this.districts);
      else if (q.type === 'text' && this.random() < 0.2) answers[q.id] = '加强夜间巡逻';
    }
    return { answers, day, district: (answers.district as string) ?? null, channel: 'web' };
  }
}
