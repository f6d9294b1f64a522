import { describe, expect, it } from 'vitest';
import { applyBuilderAction, formToDefinition, optionsFromLines, optionState, parseOptionState } from '../../../../server/web/staff/builder-form.js';
import { fieldLabel, problemsToFields } from '../../../../server/web/staff/builder-messages.js';
import { I18n } from '../../../../server/i18n/i18n.js';

const before = [
  { id: 'vehicle-theft', 'zh-CN': '车辆被盗', en: 'Vehicle theft' },
  { id: 'burglary', 'zh-CN': '入室盗窃', en: 'Burglary' },
  { id: 'fraud', 'zh-CN': '电信诈骗', en: 'Telecom fraud' },
];

describe('options typed one per line', () => {
  it('makes ids from the English text, or opt-N when it makes none', () => {
    expect(optionsFromLines('经常\n偶尔\n从不\n其他', 'Often\nSometimes\n\u4e0d\nOther', [])).toEqual([
      { id: 'often', 'zh-CN': '经常', en: 'Often' },
      { id: 'sometimes', 'zh-CN': '偶尔', en: 'Sometimes' },
      { id: 'opt-3', 'zh-CN': '从不', en: '不' },
      // "other" is kept for the "Other, please specify" option.
      { id: 'opt-4', 'zh-CN': '其他', en: 'Other' },
    ]);
    expect(optionsFromLines('甲\n乙', 'Same\nSame', []).map((o) => o.id)).toEqual(['same', 'opt-2']);
    expect(optionsFromLines('甲', '2024 plan', [])[0]!.id).toBe('plan');
  });

  it('splits two columns pasted from a spreadsheet into the two languages', () => {
    expect(optionsFromLines('电动车被盗\tE-bike theft\r\n入室盗窃\tBurglary\n', '', [])).toEqual([
      { id: 'e-bike-theft', 'zh-CN': '电动车被盗', en: 'E-bike theft' },
      { id: 'burglary', 'zh-CN': '入室盗窃', en: 'Burglary' },
    ]);
  });

  it('keeps the id of an option while one of its texts stays, and never gives an old id a new meaning', () => {
    const lines = optionsFromLines('入室盗窃\n车辆被盗\n新问题', 'Burglary\nCar theft\nNoise', before);
    expect(lines.map((o) => o.id)).toEqual(['burglary', 'vehicle-theft', 'noise']);
    // Both texts of the third line are new: a new option, although "fraud" was removed in the same edit.
    expect(optionsFromLines('车辆被盗\n入室盗窃\n噪音', 'Vehicle theft\nBurglary\nNoise', before).map((o) => o.id)).toEqual(['vehicle-theft', 'burglary', 'noise']);
    // Blank lines in both boxes are dropped; a line in one box only is kept, so the schema names what is missing.
    expect(optionsFromLines('车辆被盗\n\n入室盗窃\n\n', 'Vehicle theft\n\nBurglary\nExtra', before).map((o) => [o.id, o['zh-CN']])).toEqual([['vehicle-theft', '车辆被盗'], ['burglary', '入室盗窃'], ['extra', '']]);
  });

  it('reads the options the form showed back from their hidden field, and survives a forged one', () => {
    const state = optionState([{ id: 'a', label: { 'zh-CN': '甲', en: 'A' } }]);
    expect(parseOptionState(state)).toEqual([{ id: 'a', 'zh-CN': '甲', en: 'A' }]);
    expect(parseOptionState('{"__proto__":1}')).toEqual([]);
    expect(parseOptionState('not json')).toEqual([]);
  });
});

describe('the builder form', () => {
  it('reads a condition from the boxes of the question chosen only, and follows a renamed question', () => {
    const definition = formToDefinition({
      'q.0.type': 'yes-no', 'q.0.id': 'was-victim', 'q.0.idBefore': 'victim',
      'q.1.type': 'text', 'q.1.id': 'details', 'q.1.showIf.question': 'victim',
      'q.1.showIf.answers.victim': ['yes', 'no', 'yes'], 'q.1.showIf.answers.other-question': 'x',
    });
    expect((definition.questions as Array<Record<string, unknown>>)[1]!.showIf).toEqual({ question: 'was-victim', anyOf: ['yes', 'no'] });
  });

  it('moves, adds and removes questions, and says which one to show next', () => {
    const definition: Record<string, unknown> = { questions: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] };
    const ids = () => (definition.questions as Array<{ id: string }>).map((q) => q.id);
    expect(applyBuilderAction(definition, 'move:2:0')).toBe(0);
    expect(ids()).toEqual(['c', 'a', 'b']);
    expect(applyBuilderAction(definition, 'move-down:0')).toBe(1);
    expect(ids()).toEqual(['a', 'c', 'b']);
    expect(applyBuilderAction(definition, 'add-question:rating')).toBe(3);
    expect((definition.questions as Array<Record<string, unknown>>)[3]).toMatchObject({ id: 'q4', type: 'rating', scale: 5 });
    expect(applyBuilderAction(definition, 'remove-question:3')).toBe(2);
    for (const bad of ['move:0:9', 'move:__proto__:1', 'move-up:0', 'add-question:slider', 'remove-question:7', 'condition:5', 'add-option:0']) {
      expect(applyBuilderAction(definition, bad), bad).toBeNull();
    }
    expect(ids()).toEqual(['a', 'c', 'b']);
  });
});

describe('builder messages', () => {
  const i18n = new I18n();
  const zh = (key: string, params?: Record<string, unknown>) => i18n.translate('zh-CN', key, params);
  const en = (key: string, params?: Record<string, unknown>) => i18n.translate('en', key, params);

  it('puts each problem beside its field in the page language, an option text on its line', () => {
    const problems = [
      { pointer: '/slug', message: 'has characters that are not allowed (expected ^[a-z0-9]+(-[a-z0-9]+)*$)', reason: 'pattern' },
      { pointer: '/questions/1/options/2/label/en', message: 'must not be empty', reason: 'minLength', params: { limit: 1 } },
      { pointer: '/questions/1/rankCount', message: 'is 4, but there are only 3 items to rank', reason: 'over-options', params: { limit: 3 } },
      { pointer: '/questions/2/showIf/anyOf', message: 'must have at least 1 item(s)', reason: 'minItems', params: { limit: 1 } },
    ];
    expect(Object.fromEntries(problemsToFields(problems, zh))).toEqual({
      slug: expect.stringContaining('只能用小写字母 a–z、数字和连字符'),
      'q.1.options.en': '第 3 行：请填写此项。',
      'q.1.rankCount': '只有 3 个选项：请填写不大于 3 的数。',
      'q.2.showIf': '请至少勾选一个答案。',
    });
    expect(problemsToFields(problems, en).get('q.1.options.en')).toBe('Line 3: Fill this in.');
    expect(fieldLabel('q.1.options.en', en)).toBe('Question 2 · Options (English)');
    expect(fieldLabel('settings.responseCap', zh)).toBe('达到此回答数后停止（选填）');
  });
});
