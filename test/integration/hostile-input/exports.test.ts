/** Formula payloads residents type into free text come out of every CSV export neutralised, and intact in JSON. */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, validFields, vote } from '../../utils/resident.js';
import { everyTypeDefinition } from '../../fixtures/survey-definitions.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';
import { roomForPayloads, FUZZ_TEST_TIMEOUT, CSV_FORMULAS, fuzzParameters, isWellFormed, parseCsv, probe, StoreWatch, type Sent } from '../../utils/hostile.js';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT });

let t: TestApp;
let watch: StoreWatch;
let manager: StaffAgent;
let token: string;
const path = '/b/test-bureau/s/every-type';
const staffExport = '/staff/b/test-bureau/surveys/every-type/export';
const apiExport = '/api/v1/surveys/test-bureau/every-type';

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  const { bureau } = await createBureauWithSurvey(t.container, { mutate: roomForPayloads });
  await createStaff(t.container, 'manager@test.cn', [{ role: 'manager', bureau: bureau._id }]);
  manager = await signedInAgent(t.app, 'manager@test.cn');
  ({ token } = await t.container.apiTokens.create(bureau._id, 'fuzz', 'fuzz@test'));
  watch = new StoreWatch(t.container.models);
  await watch.reset();
});
afterAll(async () => {
  await t?.container.tallyWriter.drain();
  await t?.close();
});

const asText = (res: request.Response, done: (error: Error | null, body: string) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
};

async function download(url: string, bearer?: string): Promise<string> {
  const sent: Sent = { method: 'get', url };
  const res = await probe(watch, sent, async () => {
    const req = (bearer ? request(t.app) : manager).get(url).buffer(true).parse(asText);
    const answer = await (bearer ? req.set('Authorization', `Bearer ${bearer}`) : req);
    return Object.assign(answer, { text: answer.body as string });
  });
  expect(res.status, url).toBe(200);
  return res.body as string;
}

/** A spreadsheet runs a cell that starts with one of these as a formula. */
const runsAsFormula = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell);

const fields = ['advice', 'crime-kind.other', 'district.other', 'concerns.other'] as const;
const formVariant = (field: (typeof fields)[number], text: string) =>
  field === 'advice' ? validFields({ advice: text })
    : field === 'crime-kind.other' ? validFields({ victim: 'yes', 'crime-kind': ['theft', 'other'], 'crime-kind.other': text })
      : field === 'district.other' ? validFields({ district: 'other', 'district.other': text })
        : validFields({ 'concerns.rank.1': 'other', 'concerns.other': text });

const formula = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...CSV_FORMULAS) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('=', '+', '-', '@'), fc.string({ unit: 'binary', maxLength: 25 })).map(([lead, rest]) => `${lead}${rest}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('=', '+', '-', '@'), fc.constantFrom('"', ',', '\n', '\r\n', "'", '""')).map(([lead, tricky]) => `${lead}1${tricky}SUM(A1)`) },
).filter((text) => isWellFormed(text) && text.trim() === text && text.length > 1);

describe('CSV exports of hostile free text', () => {
  it('prefix every formula cell with a quote, in the staff export and the API export, and keep JSON exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), formula, fc.integer({ min: 0, max: 1e9 }), async (field, payload, nonce) => {
        // The nonce finds this vote's cell; it goes at the end, so the payload still leads the cell.
        const text = `${payload} ${nonce}`;
        const stored = text.replace(/\r\n/g, '\n'); // the form parser normalises line ends
        const res = await vote(request.agent(t.app), path, formVariant(field, text));
        await watch.reset();
        if (res.status !== 303) return; // e.g. a rank or "other" rule refused it: nothing to export
        for (const csv of [await download(`${staffExport}/responses.csv`), await download(`${apiExport}/responses.csv`, token)]) {
          const rows = parseCsv(csv.replace(/^\uFEFF/, ''));
          const header = rows[0]!;
          // The staff CSV is labelled (readable headers), the API's is coded (variable names).
          const question = field === 'advice' ? 'advice' : field.replace('.other', '');
          const title = everyTypeDefinition().questions.find((q) => q.id === question)!.title['zh-CN'];
          const wanted = field === 'advice' ? [title, 'advice'] : [`${title} – 其他（文字）`, `${question.replace('-', '_')}_other_text`];
          const column = header.findIndex((h) => wanted.includes(h));
          expect(column, `column for ${field} in ${header.join(',')}`).toBeGreaterThanOrEqual(0);
          const cells = rows.slice(1).map((row) => row[column] ?? '');
          expect(cells, `the vote's ${field} cell`).toContain(`'${stored}`);
          const unsafe = rows.slice(1).flat().filter(runsAsFormula);
          expect(unsafe, 'cells a spreadsheet would run').toEqual([]);
        }
        const json = JSON.parse(await download(`${staffExport}/responses.json`)) as Array<{ answers: Record<string, unknown>; otherText: Record<string, string> }>;
        const kept = json.map((r) => (field === 'advice' ? r.answers.advice : r.otherText[field.replace('.other', '')]));
        expect(kept).toContain(stored);
      }),
      fuzzParameters(8),
    );
  });

  it('neutralise the hand-picked payloads of the brief in every free-text column', async () => {
    for (const [i, payload] of ["=cmd|' /C calc'!A0", '+SUM(1,1)', '@HYPERLINK("//x.cn")', '-2+3'].entries()) {
      const res = await vote(request.agent(t.app), path, formVariant(fields[i]!, payload));
      expect(res.status, payload).toBe(303);
    }
    await watch.reset();
    const rows = parseCsv((await download(`${staffExport}/responses.csv`)).replace(/^\uFEFF/, ''));
    const all = rows.slice(1).flat();
    for (const payload of ["=cmd|' /C calc'!A0", '+SUM(1,1)', '@HYPERLINK("//x.cn")', '-2+3']) expect(all).toContain(`'${payload}`);
    expect(all.filter(runsAsFormula)).toEqual([]);
    const results = parseCsv((await download(`${staffExport}/results.csv`)).replace(/^\uFEFF/, ''));
    expect(results.flat().filter(runsAsFormula)).toEqual([]);
  });
});
