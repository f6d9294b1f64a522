import { describe, expect, it } from 'vitest';
import { characterCount, MICROBLOG_LIMIT, ShareKit } from '../../../../server/services/sharing/share-kit.js';

const kit = new ShareKit('https://minyi.example.cn');
const bureau = { name: { 'zh-CN': '湖州市公安局', en: 'Huzhou Police' } };

describe('characterCount counts as Weibo does', () => {
  it('counts a CJK character 1, an ASCII letter, digit or space a half, rounded up', () => {
    expect(characterCount('关于交通')).toBe(4);
    expect(characterCount('ab')).toBe(1);
    expect(characterCount('abc')).toBe(2);
    expect(characterCount('a b')).toBe(2);
    expect(characterCount('关于ab 1')).toBe(4);
    expect(characterCount('【】，…')).toBe(4);
  });

  it('counts any link as 20, however long', () => {
    expect(characterCount('https://minyi.example.cn/s/abcdefg')).toBe(20);
    expect(characterCount(`http://x.cn/${'y'.repeat(200)}`)).toBe(20);
    expect(characterCount('欢迎参与：https://minyi.example.cn/s/abc，谢谢')).toBe(5 + 20 + 3);
  });
});

describe('microblogPost', () => {
  it('keeps an English title whole when it fits by the half-character rule', () => {
    // 150 Latin characters would pass 140 by a plain count, but are 75 on Weibo.
    const title = 'Road safety around schools and car parks in the city centre, and what we should change this year for walkers, cyclists and drivers alike!!!';
    const post = kit.microblogPost(bureau, { title: { 'zh-CN': '标题', en: title }, shortCode: 'abcdefg' }, 'en');
    expect([...post].length).toBeGreaterThan(140);
    expect(post).toContain(title);
    expect(characterCount(post)).toBeLessThanOrEqual(MICROBLOG_LIMIT);
  });

  it('cuts a long English title at a word boundary, with an ellipsis, never over 140', () => {
    const words = 'parking traffic lights crossings cameras buses bicycles pavements'.split(' ');
    // Each rotation of the words puts a different word across the limit.
    for (let start = 0; start < words.length; start++) {
      const title = Array.from({ length: 60 }, (_, i) => words[(start + i) % words.length]).join(' ');
      const post = kit.microblogPost(bureau, { title: { 'zh-CN': '标题', en: title }, shortCode: 'abcdefg' }, 'en');
      expect(characterCount(post)).toBeLessThanOrEqual(MICROBLOG_LIMIT);
      expect(characterCount(post)).toBeGreaterThan(MICROBLOG_LIMIT - 10);
      const shortened = /^Huzhou Police: (.*)…\. Have your say: https:\/\/minyi\.example\.cn\/s\/abcdefg$/.exec(post)?.[1];
      expect(shortened).toBeDefined();
      // Every word kept is a whole word of the title, in order: no "car…".
      expect(title.startsWith(`${shortened!} `)).toBe(true);
      expect(shortened!.split(' ').every((w) => words.includes(w))).toBe(true);
    }
  });

  it('cuts a mixed Chinese title by characters and stays within 140', () => {
    const title = `关于2026年${'城市道路交通安全'.repeat(30)}的调查`;
    const post = kit.microblogPost(bureau, { title: { 'zh-CN': title, en: 'x' }, shortCode: 'abcdefg' }, 'zh-CN');
    expect(characterCount(post)).toBeLessThanOrEqual(MICROBLOG_LIMIT);
    expect(characterCount(post)).toBeGreaterThanOrEqual(MICROBLOG_LIMIT - 1);
    expect(post).toMatch(/^【湖州市公安局】关于2026年城市道路.*…，欢迎参与：https:\/\/minyi\.example\.cn\/s\/abcdefg$/);
  });

  it('never passes 140 for titles of any length and mix', () => {
    for (let n = 0; n < 200; n += 7) {
      for (const title of ['交'.repeat(n), 'ab '.repeat(n), `交a ${'词b '.repeat(n)}`, 'x'.repeat(n * 3)]) {
        for (const locale of ['zh-CN', 'en'] as const) {
          const post = kit.microblogPost(bureau, { title: { 'zh-CN': title, en: title }, shortCode: 'abcdefg' }, locale);
          expect(characterCount(post)).toBeLessThanOrEqual(MICROBLOG_LIMIT);
        }
      }
    }
  });
});
