import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell } from '../../../server/services/dashboards/exports.js';
import { parseCsv } from '../../utils/hostile.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, expectStatus, newAgent, validFields, vote } from '../../utils/resident.js';
import { createStaff, signedInAgent, type StaffAgent } from '../../utils/staff.js';

let t: TestApp;
let analyst: StaffAgent;
const at = '/staff/b/test-bureau/surveys/every-type/export';

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_SMALL_CELL_MIN: '1' });
  // Confidential: its responses keep a hashed client address, which no export may show.
  const { survey } = await createBureauWithSurvey(t.container, { mutate: (d) => { d.settings.anonymity = 'confidential'; } });
  expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ advice: '=cmd|" /C calc"!A0', district: 'nanxun' })), 303);
  expectStatus(await vote(newAgent(t.app), '/b/test-bureau/s/every-type', validFields({ victim: 'yes', 'crime-kind': ['theft', 'other'], 'crime-kind.other': '诈骗，"电话"', district: 'wuxing' })), 303);
  await t.container.tallyWriter.drain();
  await createStaff(t.container, 'analyst@test.cn', [{ role: 'analyst', bureau: survey.bureau }]);
  analyst = await signedInAgent(t.app, 'analyst@test.cn');
});
afterAll(async () => t?.close());

/** What the stored responses hold besides their answers: client hash, submission id and receipt, each set. */
async function clientData(): Promise<string[]> {
  const stored = await t.container.models.Response.find().lean();
  expect(stored).toHaveLength(2);
  const values = stored.flatMap((r) => [r.clientHash, r.submissionId, r.receipt]);
  expect(values.every((v) => typeof v === 'string' && v.length >= 8)).toBe(true);
  return values as string[];
}

describe('exports', () => {
  it('neutralises cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+86 10')).toBe("'+86 10");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-5')).toBe('-5');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });

  it('exports raw responses as CSV with a byte-order mark, one column per question or option, and no client data', async () => {
    const res = await analyst.get(`${at}/responses.csv`).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
    }).expect(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('every-type-responses.csv');
    const text = res.body as string;
    expect(text.startsWith('\uFEFF')).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual([
      '日期', '渠道', '语言',
      '中文：Rank your top 3 concerns – 第1位', '中文：Rank your top 3 concerns – 第2位', '中文：Rank your top 3 concerns – 第3位', '中文：Rank your top 3 concerns – 其他（文字）',
      '中文：Where do you live?', '中文：Where do you live? – 其他（文字）', '中文：How safe do you feel?', '中文：Were you a victim of crime?',
      '中文：Which kind?', '中文：Which kind? – 其他（文字）', '中文：How often do you see patrols?', '中文：What should we do first?',
    ]);
    expect(new Set(rows[0]).size).toBe(rows[0]!.length);
    expect(rows).toHaveLength(3);
    const column = (header: string) => rows[0]!.indexOf(`中文：${header}`);
    expect(rows[1]![column('What should we do first?')]).toBe('\'=cmd|" /C calc"!A0');
    expect(rows[2]![column('Which kind?')]).toBe('中文：Theft; 其他');
    expect(rows[2]![column('Which kind? – 其他（文字）')]).toBe('诈骗，"电话"');
    expect(rows[2]![column('Where do you live?')]).toBe('wuxing区');
    expect(rows[2]![column('Were you a victim of crime?')]).toBe('是');
    for (const value of await clientData()) expect(text).not.toContain(value);
    expect(await t.container.models.AuditEntry.countDocuments({ action: 'export' })).toBeGreaterThanOrEqual(1);
  });

  it('applies the dashboard filter to exports, and gives JSON too', async () => {
    const json = await analyst.get(`${at}/responses.json?district=wuxing`).expect(200);
    const parsed = JSON.parse(json.text) as Array<{ district: string; answers: Record<string, unknown> }>;
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ district: 'wuxing', answers: { victim: 'yes' } });
    const everything = await analyst.get(`${at}/responses.json`).expect(200);
    expect(JSON.parse(everything.text)).toHaveLength(2);
    for (const value of await clientData()) expect(everything.text).not.toContain(value);
    const results = await analyst.get(`${at}/results.json`).expect(200);
    const table = JSON.parse(results.text) as { total: number; rows: Array<{ question: string; answer: string; count: number; share: number | null }> };
    expect(table.total).toBe(2);
    expect(table.rows).toContainEqual({ question: 'victim', answer: 'yes', count: 1, share: 0.5 });
    const csv = parseCsv((await analyst.get(`${at}/results.csv?lang=en`).expect(200)).text.slice(1));
    expect(csv[0]!.slice(0, 8)).toEqual(['Question', 'Question id', 'Answer', 'Answer id', 'Base (n)', 'Count', 'Percent', 'What the percent is']);
    expect(csv.find((r) => r[1] === 'victim' && r[3] === 'yes')!.slice(2, 8)).toEqual(['Yes', 'yes', '2', '1', '50.0', 'share of respondents who answered']);
  });

  it('is refused to other bureaus and for unknown files', async () => {
    await analyst.get(`${at}/secrets.csv`).expect(404);
    await createBureauWithSurvey(t.container, { slug: 'elsewhere' });
    await analyst.get('/staff/b/elsewhere/surveys/every-type/export/responses.csv').expect(404);
  });

  it('runs at most 2 heavy requests per user and 4 per process at once; exports get 429 with Retry-After, analysis waits its turn', async () => {
    const heavy = t.container.heavyRequests;
    const user = (await t.container.accounts.findByEmail('analyst@test.cn'))!;
    // Requests of this user and of others still running: held open by responses that have not closed yet.
    const held: EventEmitter[] = [];
    const hold = (who: string) => {
      const res = new EventEmitter();
      heavy.gate(() => who)({} as never, res as never, () => {});
      held.push(res);
    };
    hold(`user:${String(user._id)}`);
    hold(`user:${String(user._id)}`);
    const busy = await analyst.get(`${at}/responses.csv`).expect(429);
    expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);
    // An answer filter and a cross-tab read the column store: they queue instead, and run once a turn is free.
    const filtered = analyst.get(`/staff/b/test-bureau/surveys/every-type/results?answer=victim:yes`).then((res) => res.status);
    const crossed = analyst.get(`/staff/b/test-bureau/surveys/every-type/results?rows=victim&cols=patrols`).then((res) => res.status);
    await expect.poll(() => heavy.waiting).toBe(2);
    // Light pages are not held back.
    await analyst.get('/staff/b/test-bureau/surveys/every-type/results').expect(200);
    held.shift()!.emit('close');
    expect(await filtered).toBe(200);
    expect(await crossed).toBe(200);
    expect(heavy.waiting).toBe(0);
    await analyst.get(`${at}/responses.csv`).expect(200);
    // Other users' requests fill the process.
    hold('user:a');
    hold('user:b');
    hold('user:c');
    await analyst.get(`${at}/responses.json`).expect(429);
    for (const res of held.splice(0)) res.emit('close');
    await analyst.get(`${at}/responses.json`).expect(200);
    expect(heavy.active).toBe(0);
  });

});
