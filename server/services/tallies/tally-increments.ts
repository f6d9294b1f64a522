/** What one response adds to its survey's tally: the $inc paths and amounts. Used to count and to verify. */
import type { AnswerValue, SurveyResponse } from '../../models/response.model.js';
import type { Question } from '../../models/survey-definition.types.js';

export type Increments = Record<string, number>;

type Counted = Pick<SurveyResponse, 'answers' | 'day' | 'district' | 'channel'>;

export function responseIncrements(questions: readonly Question[], response: Counted): Increments {
  const inc: Increments = { total: 1, 'integrity.accepted': 1, [`byDay.${response.day}`]: 1, [`byChannel.${response.channel}`]: 1 };
  if (response.district) inc[`byDistrict.${response.district}`] = 1;
  for (const question of questions) {
    const answer: AnswerValue | undefined = response.answers[question.id];
    if (answer === undefined) continue;
    const at = `questions.${question.id}`;
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
