import { describe, expect, it } from 'vitest';
import { I18n } from '../../../../server/i18n/i18n.js';
import type { Question } from '../../../../server/models/survey-definition.types.js';
import { ExportLayout } from '../../../../server/services/exports/export-layout.js';
import { spssString, spssSyntax } from '../../../../server/services/exports/spss-syntax.js';

const i18n = new I18n();
const translate = (l: 'zh-CN' | 'en', k: string, p?: Record<string, unknown>) => i18n.translate(l, k, p);
const text = (en: string) => ({ 'zh-CN': `中文${en}`, en });
const bureau = { districts: [{ id: 'wuxing', name: text('Wuxing') }] };

// Two questions with the same title, ids that clash once made SPSS-safe, an id SPSS reserves, and "day".
const questions: Question[] = [
  { id: 'district', type: 'district', title: text('District'), required: true, other: true },
  { id: 'area', type: 'single', title: text('District'), required: true, options: [{ id: 'a', label: text('A') }] },
  { id: 'to', type: 'yes-no', title: text('To'), required: true },
  { id: 'day', type: 'text', title: text('Day'), required: false, maxLength: 10 },
  { id: 'crime-kind', type: 'multiple', title: text('Kind'), required: true, options: [{ id: 'x', label: text('X') }] },
  { id: 'crime_kind', type: 'multiple', title: text('Kind 2'), required: true, options: [{ id: 'x', label: text('X') }] },
  { id: '2nd', type: 'rating', title: text('Second'), required: true, scale: 5, lowLabel: text('Low'), highLabel: text('High') },
];

describe('export layout', () => {
  const layout = new ExportLayout(questions, bureau, translate);

  it('gives every column a readable header once, in each language', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const headers = layout.labelColumns(locale).map((c) => c.header);
      expect(new Set(headers).size, headers.join(' | ')).toBe(headers.length);
    }
    const en = layout.labelColumns('en').map((c) => c.header);
    expect(en.filter((h) => h.startsWith('District'))).toEqual(['District', 'District – other (text)', 'District (area)']);
    expect(en.filter((h) => h.startsWith('Day'))).toEqual(['Day', 'Day (day)']);
  });

  it('names variables the way SPSS, R and pandas accept, each once', () => {
    const names = layout.variables.map((v) => v.name);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);
    expect(names).toContain('to_');
    expect(names).toContain('day_2');
    expect(names).toContain('crime_kind_x');
    expect(names).toContain('crime_kind_x_2');
    expect(names).toContain('q_2nd');
  });

  it('writes SPSS strings with quotes doubled and no line breaks', () => {
    expect(spssString("O'Brien\nsaid \"hi\"")).toBe("'O''Brien said \"hi\"'");
    const syntax = spssSyntax({ csvFile: "it's.csv", variables: layout.variables, locale: 'en', about: ['line one.', 'two'], fileLabel: '很'.repeat(40) });
    expect(syntax).toContain("/FILE='it''s.csv'");
    // The file label fits SPSS's 64 bytes: 20 Chinese characters of 3 bytes each.
    expect(syntax).toContain(`FILE LABEL '${'很'.repeat(20)}'.`);
    expect(syntax).toContain('* line one.');
    expect(syntax).toMatch(/VALUE LABELS\r\n {2}channel\r\n/);
    expect(syntax).toMatch(/\r\n {2}\/district\r\n {4}1 'Wuxing'\r\n {4}2 'Other'/);
  });
});
