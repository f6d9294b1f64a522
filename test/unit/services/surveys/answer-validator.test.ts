import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../server/errors/index.js';
import { AnswerValidatorCache, visibleQuestionIds, type Submission } from '../../../../server/services/surveys/answer-validator.js';
import { SurveyDefinitionValidator } from '../../../../server/services/surveys/survey-definition-validator.js';
import { createAjv } from '../../../../server/services/validation/ajv.js';
import { everyTypeDefinition, TEST_DISTRICTS, validAnswers } from '../../../fixtures/survey-definitions.js';

const ajv = createAjv();
const definition = new SurveyDefinitionValidator(ajv).validate(everyTypeDefinition());
const cache = new AnswerValidatorCache(ajv);
const validator = cache.get('survey-1', 1, definition.questions, TEST_DISTRICTS);

function refusal(submission: Submission): Array<{ pointer: string; reason?: string }> {
  try {
    validator.validate(submission);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map(({ pointer, reason }) => ({ pointer, reason }));
    throw error;
  }
  throw new Error('expected the answers to be refused');
}

function withAnswers(answers: Record<string, unknown>, otherText: Record<string, string> = {}): Submission {
  const base = validAnswers();
  return { answers: { ...base.answers, ...answers } as Submission['answers'], otherText };
}

describe('answer validator', () => {
  it('accepts a minimal valid answer set', () => {
    expect(validator.validate(validAnswers())).toEqual(validAnswers());
  });

  it('accepts every answer shape: optional answers, conditions met, "other" with its text', () => {
    const submission = withAnswers(
      { concerns: ['other', 'burglary', 'fraud'], district: 'other', victim: 'yes', 'crime-kind': ['theft', 'other'], patrols: 'weekly', advice: '多巡逻 more patrols' },
      { concerns: 'Noise at night', district: 'Lives outside the city', 'crime-kind': 'Online scam' },
    );
    expect(validator.validate(submission)).toEqual(submission);
  });

  it('refuses a missing required answer', () => {
    const submission = validAnswers();
    delete submission.answers.safety;
    expect(refusal(submission)).toContainEqual({ pointer: '/answers/safety', reason: 'required' });
  });

  it('refuses unknown option ids and districts', () => {
    expect(refusal(withAnswers({ patrols: 'hourly' }))).toContainEqual({ pointer: '/answers/patrols', reason: 'enum' });
    expect(refusal(withAnswers({ district: 'haidian' }))).toContainEqual({ pointer: '/answers/district', reason: 'enum' });
  });

  it('refuses a ranking with a repeat, too few or too many items', () => {
    expect(refusal(withAnswers({ concerns: ['fraud', 'fraud', 'traffic'] }))).toContainEqual({ pointer: '/answers/concerns', reason: 'uniqueItems' });
    expect(refusal(withAnswers({ concerns: ['fraud', 'traffic'] }))).toContainEqual({ pointer: '/answers/concerns', reason: 'minItems' });
    expect(refusal(withAnswers({ concerns: ['fraud', 'traffic', 'burglary', 'vehicle-theft'] }))).toContainEqual({ pointer: '/answers/concerns', reason: 'maxItems' });
  });

  it('refuses ratings out of range or not whole numbers', () => {
    expect(refusal(withAnswers({ safety: 6 }))).toContainEqual({ pointer: '/answers/safety', reason: 'maximum' });
    expect(refusal(withAnswers({ safety: 0 }))).toContainEqual({ pointer: '/answers/safety', reason: 'minimum' });
    expect(refusal(withAnswers({ safety: 2.5 }))).toContainEqual({ pointer: '/answers/safety', reason: 'type' });
    expect(refusal(withAnswers({ safety: '4' }))).toContainEqual({ pointer: '/answers/safety', reason: 'type' });
  });

  it('enforces multiple-choice minimum and maximum selections when shown', () => {
    expect(refusal(withAnswers({ victim: 'yes', 'crime-kind': ['theft', 'fraud', 'assault'] }))).toContainEqual({ pointer: '/answers/crime-kind', reason: 'maxItems' });
    expect(refusal(withAnswers({ victim: 'yes', 'crime-kind': [] }))).toContainEqual({ pointer: '/answers/crime-kind', reason: 'minItems' });
    expect(refusal(withAnswers({ victim: 'yes' }))).toContainEqual({ pointer: '/answers/crime-kind', reason: 'required' });
  });

  it('ignores answers to questions hidden by their condition', () => {
    const submission = withAnswers({ victim: 'no', 'crime-kind': ['theft'] }, { 'crime-kind': 'x' });
    const cleaned = validator.validate(submission);
    expect(cleaned.answers).not.toHaveProperty('crime-kind');
    expect(cleaned.otherText).toEqual({});
  });

  it('limits free-text length in characters, counting CJK extension B as one each', () => {
    expect(validator.validate(withAnswers({ advice: '𠀀'.repeat(20) })).answers.advice).toBe('𠀀'.repeat(20));
    expect(refusal(withAnswers({ advice: 'x'.repeat(21) }))).toContainEqual({ pointer: '/answers/advice', reason: 'maxLength' });
    expect(refusal(withAnswers({ advice: '' }))).toContainEqual({ pointer: '/answers/advice', reason: 'minLength' });
  });

  it('asks for the "other" text when "other" is chosen, and refuses it otherwise', () => {
    expect(refusal(withAnswers({ district: 'other' }))).toContainEqual({ pointer: '/otherText/district', reason: 'required' });
    expect(refusal(withAnswers({}, { district: 'somewhere' }))).toContainEqual({ pointer: '/otherText', reason: 'not' });
    expect(refusal(withAnswers({ district: 'other' }, { district: 'x'.repeat(201) }))).toContainEqual({ pointer: '/otherText/district', reason: 'maxLength' });
  });

  it('refuses answers to questions the survey does not have', () => {
    expect(refusal(withAnswers({ $where: 'sleep(1000)' }))).toContainEqual({ pointer: '/answers/$where', reason: 'additionalProperties' });
    expect(refusal(withAnswers({ unknown: 'x' }))).toContainEqual({ pointer: '/answers/unknown', reason: 'additionalProperties' });
  });

  it('refuses yes/no answers other than yes and no', () => {
    expect(refusal(withAnswers({ victim: true }))).toContainEqual({ pointer: '/answers/victim', reason: 'type' });
  });

  it('compiles once per revision and recompiles after an edit', () => {
    expect(cache.get('survey-1', 1, definition.questions, TEST_DISTRICTS)).toBe(validator);
    const edited = cache.get('survey-1', 2, definition.questions, TEST_DISTRICTS);
    expect(edited).not.toBe(validator);
    expect(cache.get('survey-1', 2, definition.questions, TEST_DISTRICTS)).toBe(edited);
  });

  it('works out which questions are visible, following chains of conditions', () => {
    expect(visibleQuestionIds(definition.questions, { victim: 'yes' }).has('crime-kind')).toBe(true);
    expect(visibleQuestionIds(definition.questions, { victim: 'no' }).has('crime-kind')).toBe(false);
    expect(visibleQuestionIds(definition.questions, {}).has('crime-kind')).toBe(false);
  });

  it('compiles a survey without conditions or "other" options', () => {
    const plain = new SurveyDefinitionValidator(ajv).validate({
      ...everyTypeDefinition(),
      questions: [{ id: 'safe', type: 'rating', title: { 'zh-CN': '安全吗', en: 'Safe?' }, required: true, scale: 5, lowLabel: { 'zh-CN': '不', en: 'No' }, highLabel: { 'zh-CN': '是', en: 'Yes' } }],
    });
    const compiled = cache.get('plain', 1, plain.questions, []);
    expect(compiled.validate({ answers: { safe: 3 }, otherText: {} })).toEqual({ answers: { safe: 3 }, otherText: {} });
  });
});
