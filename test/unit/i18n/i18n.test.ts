import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { I18n } from '../../../server/i18n/i18n.js';

describe('I18n', () => {
  const i18n = new I18n();

  it('has the same keys in Chinese and English', () => {
    expect(i18n.keys('zh-CN').sort()).toEqual(i18n.keys('en').sort());
  });

  it('fills placeholders', () => {
    expect(i18n.translate('en', 'home.openSurveys', { count: 3 })).toBe('3 open survey(s)');
    expect(i18n.translate('zh-CN', 'errors.title', { status: 404 })).toBe('错误 404');
  });

  it('returns the key itself for an unknown key, so a gap is visible rather than blank', () => {
    expect(i18n.translate('en', 'no.such.key')).toBe('no.such.key');
  });

  it('reads Accept-Language by quality', () => {
    expect(i18n.fromAcceptLanguage('en-GB,en;q=0.9,zh-CN;q=0.8')).toBe('en');
    expect(i18n.fromAcceptLanguage('fr;q=1, zh-TW;q=0.5, en;q=0.4')).toBe('zh-CN');
    expect(i18n.fromAcceptLanguage('zh;q=0.2, en;q=0.9')).toBe('en');
    expect(i18n.fromAcceptLanguage('fr, de')).toBeUndefined();
    expect(i18n.fromAcceptLanguage(undefined)).toBeUndefined();
  });

  it('merges area files <locale>.<area>.json and refuses a key defined twice', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'minyi-locales-'));
    for (const locale of ['zh-CN', 'en']) {
      writeFileSync(path.join(dir, `${locale}.json`), JSON.stringify({ home: { title: `t-${locale}` } }));
      writeFileSync(path.join(dir, `${locale}.advice.json`), JSON.stringify({ advice: { title: `a-${locale}` } }));
    }
    const merged = new I18n(dir);
    expect(merged.translate('zh-CN', 'advice.title')).toBe('a-zh-CN');
    expect(merged.translate('en', 'home.title')).toBe('t-en');
    writeFileSync(path.join(dir, 'en.extra.json'), JSON.stringify({ home: { title: 'again' } }));
    expect(() => new I18n(dir)).toThrow(/home\.title is defined twice/);
  });
});
