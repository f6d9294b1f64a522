/**
 * The export files read back the way analysts read them: the workbook with exceljs, the SPSS syntax parsed for
 * its labels and run through PSPP, the CSVs for unique, formula-safe headers and a
 * stated filter.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Question } from '../../../server/models/survey-definition.types.js';
import { everyTypeDefinition, TEST_DISTRICTS } from '../../fixtures/survey-definitions.js';
import { parseCsv } from '../../utils/hostile.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
let analyst: StaffAgent;
let questions: Question[];
const at = '/staff/b/test-bureau/surveys/every-type/export';
/** Labels with the characters that break quoting: an apostrophe, double quotes, a comma, Chinese quotes. */
const TRICKY = { 'zh-CN': '“不知道”，O\'Brien 说', en: 'Don\'t know, "really"' };

const asBuffer = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};
const download = async (url: string) => (await analyst.get(url).buffer(true).parse(asBuffer).expect(200)).body as Buffer;
const csvRows = async (url: string) => parseCsv((await download(url)).toString('utf8').replace(/^\uFEFF/, ''));

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  const { survey } = await createBureauWithSurvey(t.container, {
    mutate: (d) => {
      const patrols = d.questions.find((q) => q.id === 'patrols')!;
      if ('options' in patrols) patrols.options.push({ id: 'unsure', label: TRICKY });
    },
  });
  questions = survey.questions;
  const path = '/b/test-bureau/s/every-type';
  expectStatus(await vote(newAgent(t.app), path, validFields({ advice: '=HYPERLINK("x")', district: 'nanxun', patrols: 'unsure' })), 303);
  expectStatus(await vote(newAgent(t.app), path, validFields({ victim: 'yes', 'crime-kind': ['theft', 'other'], 'crime-kind.other': '电信诈骗 \'冒充\' "客服"', district: 'wuxing', patrols: 'daily' })), 303);
  expectStatus(await vote(newAgent(t.app), path, validFields({ district: 'wuxing', safety: '2' })), 303);
  await t.container.tallyWriter.drain();
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: survey.bureau }]);
  analyst = await signedInAgent(t.app, 'analyst@test.cn');
});
afterAll(async () => t?.close());

describe('the Excel workbook', () => {
  it('has sheets of labelled responses, codes, a codebook true to the survey, and what was exported when', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await download(`${at}/responses.xlsx?lang=en`)) as never);
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['responses', 'codes', 'codebook', 'about']);
    const values = (sheet: string) => {
      const rows: unknown[][] = [];
      workbook.getWorksheet(sheet)!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
      return rows;
    };

    const responses = values('responses');
    const header = responses[0] as string[];
    expect(header.slice(0, 4)).toEqual(['Day', 'Channel', 'Language', 'Rank your top 3 concerns – rank 1']);
    expect(new Set(header).size).toBe(header.length);
    expect(responses).toHaveLength(4);
    const cell = (row: unknown[], title: string) => row[header.indexOf(title)];
    const victim = responses.find((row) => cell(row, 'Were you a victim of crime?') === 'Yes')!;
    expect(cell(victim, 'Which kind?')).toBe('Theft; Other');
    expect(cell(victim, 'Which kind? – other (text)')).toBe('电信诈骗 \'冒充\' "客服"');
    expect(cell(victim, 'Where do you live?')).toBe('wuxing District');
    expect(responses.map((row) => cell(row, 'How often do you see patrols?'))).toContain(TRICKY.en);
    // A text cell stays text, exactly as typed: Excel never runs a string cell as a formula.
    const advice = workbook.getWorksheet('responses')!.getRow(2 + responses.slice(1).findIndex((row) => cell(row, 'What should we do first?') !== undefined)).getCell(header.indexOf('What should we do first?') + 1);
    expect(advice.value).toBe('=HYPERLINK("x")');
    expect(advice.type).toBe(ExcelJS.ValueType.String);

    const codes = values('codes');
    const names = codes[0] as string[];
    expect(names).toContain('crime_kind_theft');
    expect(names).toContain('concerns_rank1');
    for (const name of names) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);
    expect(new Set(names).size).toBe(names.length);
    const coded = codes.find((row) => row[names.indexOf('victim')] === 1)!;
    expect(coded[names.indexOf('crime_kind_theft')]).toBe(1);
    expect(coded[names.indexOf('crime_kind_fraud')]).toBe(0);
    expect(coded[names.indexOf('crime_kind_other')]).toBe(1);
    expect(coded[names.indexOf('patrols')]).toBe(1); // daily, the first option
    expect(coded[names.indexOf('district')]).toBe(TEST_DISTRICTS.indexOf('wuxing') + 1);

    // Every option of every choice question has its code and both labels in the codebook.
    const codebook = values('codebook');
    expect(codebook[0]).toEqual(['Variable', 'Question', 'Type', 'Code', 'Answer id', 'Label (zh-CN)', 'Label (en)']);
    const patrols = questions.find((q) => q.id === 'patrols')!;
    if (!('options' in patrols)) throw new Error('patrols has options');
    patrols.options.forEach((option, i) => expect(codebook).toContainEqual(['patrols', patrols.title.en, 'single choice', i + 1, option.id, option.label['zh-CN'], option.label.en]));
    expect(codebook).toContainEqual(['concerns_rank2', 'Rank your top 3 concerns – rank 2', 'ranking (code of the item at this rank)', 5, 'other', '其他', 'Other']);
    expect(codebook).toContainEqual(['victim', 'Were you a victim of crime?', 'yes/no', 1, 'yes', '是', 'Yes']);
    const safety = questions.find((q) => q.id === 'safety')!;
    if (safety.type !== 'rating') throw new Error('safety is a rating');
    expect(codebook).toContainEqual(['safety', safety.title.en, 'rating', 1, '1', safety.lowLabel['zh-CN'], safety.lowLabel.en]);
    expect(codebook).toContainEqual(['safety', safety.title.en, 'rating', 5, '5', safety.highLabel['zh-CN'], safety.highLabel.en]);
    for (const name of names) expect(codebook.some((row) => row[0] === name)).toBe(true);

    const about = Object.fromEntries(values('about').map(([k, v]) => [k, v]));
    expect(about).toMatchObject({ Survey: 'Every question type', Filters: 'no filters', Responses: 3 });
    expect(String(about['Exported at'])).toMatch(/GMT\+8|CST|China/);
  });

  it('states the filter of a filtered export in its about sheet and holds only the responses it selects', async () => {
    const workbook = new ExcelJS.Workbook();
    const res = await analyst.get(`${at}/responses.xlsx?district=wuxing&answer=victim:yes&lang=zh-CN`).buffer(true).parse(asBuffer).expect(200);
    expect(res.headers['content-disposition']).toContain('every-type-district-wuxing_answer-victim-yes-responses.xlsx');
    await workbook.xlsx.load(res.body as never);
    expect(workbook.getWorksheet('responses')!.rowCount).toBe(2);
    const about = new Map<string, unknown>();
    workbook.getWorksheet('about')!.eachRow((row) => about.set(String(row.getCell(1).value), row.getCell(2).value));
    expect(about.get('筛选条件')).toBe('区县: wuxing区; 回答了以下选项的答题人: 中文：Were you a victim of crime? = 是');
    expect(about.get('回答数')).toBe(1);
  });
});

/** The labels an SPSS syntax file gives, read the way SPSS reads the commands. */
function parseSps(syntax: string) {
  const commands = syntax.split(/\.\r?\n/).map((c) => c.trim());
  const strings = (text: string) => [...text.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));
  const variableLabels = new Map<string, string>();
  const block = commands.find((c) => c.startsWith('VARIABLE LABELS'))!;
  for (const line of block.split(/\r?\n/).slice(1)) {
    const match = /^\s*(\S+) (.*)$/.exec(line)!;
    variableLabels.set(match[1]!, strings(match[2]!)[0]!);
  }
  const valueLabels = new Map<string, Map<number, string>>();
  const values = commands.find((c) => c.startsWith('VALUE LABELS'))!;
  for (const part of values.replace(/^VALUE LABELS/, '').split(/\r?\n\s*\//)) {
    const [name, ...rest] = part.trim().split(/\r?\n/);
    valueLabels.set(name!.trim(), new Map(rest.map((line) => [Number(/^\s*(-?\d+)/.exec(line)![1]), strings(line)[0]!])));
  }
  const data = commands.find((c) => c.startsWith('GET DATA'))!;
  const variables = [...data.split('/VARIABLES=')[1]!.matchAll(/^\s*(\S+) (A\d+|F8\.0)\s*$/gm)].map((m) => ({ name: m[1]!, format: m[2]! }));
  return { variableLabels, valueLabels, variables, file: strings(data)[0] };
}

describe('the SPSS export', () => {
  it('reads the codes CSV with every variable and value label of the survey, quotes escaped', async () => {
    const sps = (await download(`${at}/responses.sps?lang=en`)).toString('utf8');
    const codesCsv = await csvRows(`${at}/responses-codes.csv`);
    const parsed = parseSps(sps);
    expect(parsed.file).toBe('every-type-responses-codes.csv');
    expect(parsed.variables.map((v) => v.name)).toEqual(codesCsv[0]);
    expect(parsed.variables.find((v) => v.name === 'advice')!.format).toBe(`A${20 * 3}`);
    for (const question of questions) {
      const names = [...parsed.variableLabels.keys()].filter((name) => name === question.id.replace('-', '_') || name.startsWith(`${question.id.replace('-', '_')}_`));
      expect(names.length, question.id).toBeGreaterThan(0);
      for (const name of names) expect(parsed.variableLabels.get(name), name).toContain(question.title.en);
      if ('options' in question) {
        const labels = parsed.valueLabels.get(question.type === 'ranking' ? `${question.id}_rank1` : question.id.replace('-', '_'));
        if (question.type === 'multiple') continue; // 0/1 flags per option, checked below
        question.options.forEach((option, i) => expect(labels?.get(i + 1), `${question.id} ${option.id}`).toBe(option.label.en));
      }
    }
    expect(parsed.valueLabels.get('crime_kind_theft')).toEqual(new Map([[0, 'not chosen'], [1, 'chosen']]));
    expect(parsed.valueLabels.get('patrols')!.get(4)).toBe(TRICKY.en);
    expect(sps).toContain("'Don''t know, \"really\"'");
    expect(parsed.valueLabels.get('district')).toEqual(new Map([...TEST_DISTRICTS.map((d, i) => [i + 1, `${d} District`] as const), [4, 'Other']]));
    expect(parsed.valueLabels.get('victim')).toEqual(new Map([[1, 'Yes'], [0, 'No']]));
    expect(parsed.valueLabels.get('safety')!.get(1)).toBe('Very unsafe');
    // Chinese labels in the Chinese syntax, with their quotes.
    const zh = parseSps((await download(`${at}/responses.sps?lang=zh-CN`)).toString('utf8'));
    expect(zh.valueLabels.get('patrols')!.get(4)).toBe(TRICKY['zh-CN']);
  });

  // PSPP, the free SPSS, is a test tool like Chromium: `.ci/run` installs it from Debian.
  it('is read by PSPP: the data with their value labels', async () => {
    const pspp = ['/usr/bin/pspp', '/usr/local/bin/pspp'].find((p) => existsSync(p));
    if (!pspp) throw new Error('PSPP is not installed: `apt-get install pspp` (as .ci/run does) to run this test');
    const dir = mkdtempSync(path.join(tmpdir(), 'minyi-sps-'));
    writeFileSync(path.join(dir, 'every-type-responses-codes.csv'), await download(`${at}/responses-codes.csv`));
    const sps = (await download(`${at}/responses.sps?lang=zh-CN`)).toString('utf8');
    writeFileSync(path.join(dir, 'read.sps'), `${sps}\r\nFREQUENCIES VARIABLES=victim patrols crime_kind_other.\r\nLIST VARIABLES=crime_kind_other_text.\r\n`);
    execFileSync(pspp!, ['-O', 'format=txt', '-o', path.join(dir, 'out.txt'), 'read.sps'], { cwd: dir, timeout: 60_000 });
    const out = readFileSync(path.join(dir, 'out.txt'), 'utf8');
    expect(out).not.toMatch(/error/i);
    // Two "no", one "yes": counted under their labels.
    expect(out).toMatch(/否\s*\|?\s*2/);
    expect(out).toMatch(/是\s*\|?\s*1/);
    expect(out).toContain(TRICKY['zh-CN']);
    expect(out).toContain('电信诈骗 \'冒充\' "客服"');
  });
});

describe('the CSV exports', () => {
  it('have unique readable headers, labels in the chosen language and formula-safe cells', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const rows = await csvRows(`${at}/responses.csv?lang=${lang}`);
      expect(new Set(rows[0]).size, lang).toBe(rows[0]!.length);
      expect(rows[0]!.filter((h) => /district/i.test(h))).toEqual([]);
      for (const cell of rows.flat()) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    const en = await csvRows(`${at}/responses.csv?lang=en`);
    expect(en.flat()).toContain('\'=HYPERLINK("x")');
    expect(en.flat()).toContain('nanxun District');
    const codes = await csvRows(`${at}/responses-codes.csv`);
    expect(new Set(codes[0]).size).toBe(codes[0]!.length);
    expect(codes.flat()).toContain('\'=HYPERLINK("x")');
  });

  it('state the filter of a filtered export on every row, and in the file name', async () => {
    const res = await analyst.get(`${at}/responses.csv?district=wuxing&lang=en`).buffer(true).parse(asBuffer).expect(200);
    expect(res.headers['content-disposition']).toContain('every-type-district-wuxing-responses.csv');
    const rows = parseCsv((res.body as Buffer).toString('utf8').slice(1));
    expect(rows[0]![0]).toBe('Filter');
    expect(rows.slice(1).map((r) => r[0])).toEqual(['District: wuxing District', 'District: wuxing District']);
    const results = parseCsv((await download(`${at}/results.csv?district=wuxing&lang=en`)).toString('utf8').slice(1));
    expect(results[0]![0]).toBe('Filter');
    expect(new Set(results.slice(1).map((r) => r[0]))).toEqual(new Set(['District: wuxing District']));
    const unfiltered = await csvRows(`${at}/responses.csv?lang=en`);
    expect(unfiltered[0]![0]).toBe('Day');
  });

  it('give shares to 0.1% with their base, and say a ranking\'s share is its first-choice share', async () => {
    const rows = await csvRows(`${at}/results.csv?lang=en`);
    const header = rows[0]!;
    const row = (question: string, answer: string) => {
      const found = rows.find((r) => r[1] === question && r[3] === answer)!;
      return Object.fromEntries(header.map((h, i) => [h, found[i]]));
    };
    // 1 of 3 respondents: 33.3%, not 0.3333333.
    expect(row('victim', 'yes')).toMatchObject({ 'Base (n)': '3', Count: '1', Percent: '33.3', 'What the percent is': 'share of respondents who answered' });
    expect(row('crime-kind', 'theft')['What the percent is']).toContain('more than 100%');
    // Every vote ranks fraud first (validFields): 3 of 3 first choices.
    expect(row('concerns', 'fraud')).toMatchObject({ Answer: 'Telecom fraud', Count: '3', Percent: '100.0', 'What the percent is': 'first-choice share: respondents who ranked it first', 'Ranked at any position': '3', 'Ranked 1': '3', 'Ranked 2': '0' });
    expect(row('concerns', 'vehicle-theft')).toMatchObject({ Count: '0', Percent: '0.0', 'Ranked 2': '3', 'Points per respondent': '2.00' });
    for (const r of rows.slice(1)) expect(r[header.indexOf('Percent')]).toMatch(/^(\d+\.\d)?$/);
  });

  it('lists the files on an export page that states the rows and the filter, and works without JavaScript', async () => {
    const page = await analyst.get('/staff/b/test-bureau/surveys/every-type/export?district=wuxing&lang=en').expect(200);
    expect(page.text).toContain('This export holds 2 responses.');
    expect(page.text).toContain('District: wuxing District');
    for (const file of ['responses.xlsx', 'responses.csv', 'responses-codes.csv', 'responses.sps', 'results.csv']) expect(page.text).toContain(`/export/${file}?district&#x3D;wuxing&amp;lang&#x3D;en`);
  });
});
