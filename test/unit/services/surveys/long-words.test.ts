import { describe, expect, it } from 'vitest';
import { longWords } from '../../../../server/services/surveys/long-words.js';

describe('longWords', () => {
  it('finds unbroken runs over 40 characters anywhere in a definition, once each', () => {
    const url = `https://example.gov.cn/${'a'.repeat(30)}`;
    const definition = {
      title: { 'zh-CN': `请访问${url}了解详情`, en: `See ${url} for details` },
      questions: [{ options: [{ label: { 'zh-CN': '短', en: 'Supercalifragilisticexpialidocious-and-then-some-more' } }] }],
    };
    expect(longWords(definition)).toEqual([url, 'Supercalifragilisticexpialidocious-and-then-some-more']);
  });

  it('leaves Chinese sentences, spaced English and words of exactly 40 characters alone', () => {
    const definition = {
      title: { 'zh-CN': '为把警力投向群众最关心的问题，市公安局开展本次问卷调查，调查结果将作为确定年度整治重点的依据。问卷约需3分钟。', en: 'A perfectly ordinary English sentence with many short words in it.' },
      help: { 'zh-CN': '', en: 'x'.repeat(40) },
    };
    expect(longWords(definition)).toEqual([]);
  });
});
