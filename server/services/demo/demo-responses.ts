/**
 * Plausible answers for the demo surveys, so that a fresh install's dashboards have something to show.
 * Seeded, so every install gets the same demo. Written in bulk with their tally, as the vote path would count them.
 */
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import type { AnswerValue, SurveyResponse } from '../../models/response.model.js';
import { OTHER_OPTION_ID, type Question } from '../../models/survey-definition.types.js';
import type { Survey } from '../../models/survey.model.js';
import { visibleQuestionIds } from '../surveys/answer-validator.js';
import { TallySums } from '../tallies/tally-sums.js';
import type { TallyService } from '../tallies/tally.service.js';
import { calendarDay } from '../voting/vote.service.js';
import { seededRandom } from './seeded-random.js';

const DAY_MS = 86_400_000;
const TEXTS = ['加强夜间巡逻，特别是小区周边', '电动车被盗太多了，希望多装监控', '希望办事更方便，少跑腿', '加大电信诈骗宣传力度，多提醒老年人', 'More patrols near the bus station at night, please', '出警速度再快一点'];

/** Picks from a list, favouring the front: residents' concerns are not uniform, and a demo should show it. */
const skewed = <T>(items: readonly T[], next: () => number): T => items[Math.floor(items.length * next() ** 1.8)]!;

function answer(question: Question, bureau: Pick<Bureau, 'districts'>, next: () => number): AnswerValue | undefined {
  if (!question.required && next() < 0.3) return undefined;
  switch (question.type) {
    case 'single':
      return skewed(question.options, next).id;
    case 'multiple': {
      const count = Math.max(question.minSelections ?? 1, 1 + Math.floor(next() * Math.min(question.maxSelections ?? 2, question.options.length)));
      return [...new Set(Array.from({ length: count * 2 }, () => skewed(question.options, next).id))].slice(0, Math.min(count, question.maxSelections ?? count));
    }
    case 'ranking': {
      const order = [...question.options].sort(() => next() - 0.6).map((o) => o.id);
      return order.slice(0, Math.min(question.rankCount, order.length));
    }
    case 'rating':
      return Math.min(question.scale, Math.max(1, Math.round(question.scale * (0.45 + 0.4 * next()) + (next() - 0.5) * 2)));
    case 'yes-no':
      return next() < 0.3 ? 'yes' : 'no';
    case 'district':
      return skewed(bureau.districts, next).id;
    case 'text':
      return [...skewed(TEXTS, next)].slice(0, question.maxLength).join('');
  }
}

export async function addDemoResponses(models: Models, tallies: TallyService, bureau: Bureau, survey: Survey, count: number, now = new Date()): Promise<void> {
  const next = seededRandom(`${bureau.slug}/${survey.slug}`);
  const sums = new TallySums(survey.questions);
  const responses: SurveyResponse[] = [];
  for (let i = 0; i < count; i += 1) {
    const answers: Record<string, AnswerValue> = {};
    for (const question of survey.questions) {
      if (!visibleQuestionIds(survey.questions, answers).has(question.id)) continue;
      const value = answer(question, bureau, next);
      if (value !== undefined && !(Array.isArray(value) && value.length === 0)) answers[question.id] = value;
    }
    const at = new Date(now.getTime() - Math.floor(next() * 21) * DAY_MS - Math.floor(next() * 12) * 3600_000);
    const district = survey.questions.find((q) => q.type === 'district');
    const districtAnswer = district ? answers[district.id] : undefined;
    const response: SurveyResponse = {
      _id: new Types.ObjectId(),
      survey: survey._id,
      bureau: bureau._id,
      submissionId: createHash('sha256').update(`demo:${String(survey._id)}:${i}`).digest('hex').slice(0, 32),
      receipt: 'DEMO',
      answers,
      otherText: {},
      submittedAt: new Date(Math.floor(at.getTime() / 3600_000) * 3600_000),
      day: calendarDay(at, bureau.timezone),
      district: typeof districtAnswer === 'string' && districtAnswer !== OTHER_OPTION_ID ? districtAnswer : null,
      channel: next() < 0.9 ? 'web' : 'phone',
      locale: next() < 0.9 ? 'zh-CN' : 'en',
      clientHash: null,
    };
    responses.push(response);
    sums.add(response);
  }
  await models.Response.insertMany(responses, { ordered: false });
  await tallies.addSeeded(survey._id, sums);
}
