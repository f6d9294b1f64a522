/**
 * What one response adds to its survey's tally and to the day slice of its day: the $inc paths and amounts.
 * Used to count, to seed and to verify, so all of them agree.
 */
import type { AnswerValue, SurveyResponse } from '../../models/response.model.js';
import type { Question } from '../../models/survey-definition.types.js';
import type { CounterTree } from '../../models/tally.model.js';

export type Increments = Record<string, number>;

type Counted = Pick<SurveyResponse, 'answers' | 'day' | 'district' | 'channel'>;

export function responseIncrements(questions: readonly Question[], response: Counted): Increments {
  const inc: Increments = { total: 1, 'integrity.accepted': 1, [`byDay.${response.day}`]: 1, [`byChannel.${response.channel}`]: 1 };
  if (response.district) inc[`byDistrict.${response.district}`] = 1;
  return answerIncrements(questions, response, inc);
}

/** A slice cell's key. District ids start with a letter, so '-' (no district) cannot clash with one. */
export function cellKey(district: string | null, channel: string): string {
  return `${district ?? '-'}|${channel}`;
}

export function readCellKey(key: string): { district: string | null; channel: string } {
  const [district, channel] = key.split('|') as [string, string];
  return { district: district === '-' ? null : district, channel };
}

/** What one response adds to the slice of its day: its cell's total and question counters. */
export function sliceIncrements(questions: readonly Question[], response: Counted): Increments {
  const cell = `cells.${cellKey(response.district, response.channel)}`;
  return answerIncrements(questions, response, { [`${cell}.total`]: 1 }, `${cell}.`);
}

/** Adds the counters of each answer under `prefix` (a slice cell, or nothing for the tally). */
function answerIncrements(questions: readonly Question[], response: Pick<Counted, 'answers'>, inc: Increments, prefix = ''): Increments {
  for (const question of questions) {
    const answer: AnswerValue | undefined = response.answers[question.id];
    if (answer === undefined) continue;
    const at = `${prefix}questions.${question.id}`;
    inc[`${at}.answered`] = 1;
    switch (question.type) {
      case 'text':
        break;
      case 'ranking':
        (answer as string[]).forEach((item, index) => {
          inc[`${at}.options.${item}`] = 1;
          inc[`${at}.ranks.${item}.${index + 1}`] = 1;
        });
        break;
      case 'multiple':
        for (const option of answer as string[]) inc[`${at}.options.${option}`] = 1;
        break;
      default:
        inc[`${at}.options.${String(answer)}`] = 1;
    }
  }
  return inc;
}

export function addIncrements(into: Increments, more: Increments): Increments {
  for (const [path, amount] of Object.entries(more)) into[path] = (into[path] ?? 0) + amount;
  return into;
}

/** "questions.q1.options.a" → number, for every numeric leaf of a tally or slice document: increments again. */
export function flattenCounters(value: unknown, prefix = '', into: Increments = {}): Increments {
  if (typeof value === 'number') {
    into[prefix] = value;
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flattenCounters(child, prefix ? `${prefix}.${key}` : key, into);
  }
  return into;
}

/** Increments as nested counters, the shape tallies, slices and deltas are stored and read in. */
export function counterTree(increments: Increments): CounterTree {
  const tree: CounterTree = {};
  for (const [path, amount] of Object.entries(increments)) {
    const keys = path.split('.');
    let node = tree;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== 'object') node[key] = {};
      node = node[key] as CounterTree;
    }
    node[keys[keys.length - 1]!] = amount;
  }
  return tree;
}
