/**
 * The workbook streams with bounded memory: a client that stops reading stops the writer, instead of the
 * zip piling the sheets up in memory. Many synthetic responses go to a client that holds every chunk until
 * the writer stalls; memory is sampled (after a forced collection) while the rows are produced.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Writable } from 'node:stream';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { I18n } from '../../../../server/i18n/i18n.js';
import type { ExportedResponse } from '../../../../server/services/exports/export-layout.js';
import { ExportLayout } from '../../../../server/services/exports/export-layout.js';
import { writeResponsesWorkbook } from '../../../../server/services/exports/xlsx-export.js';
import { everyTypeDefinition, TEST_DISTRICTS } from '../../../fixtures/survey-definitions.js';
import { scaled } from '../../../utils/time.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const usedMemory = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const ROWS = Number(process.env.ROWS ?? 100_000);
const MB = 1024 * 1024;

function* synthetic(count: number, onRow: (n: number) => void): Generator<ExportedResponse> {
  const kinds = ['theft', 'fraud', 'assault'];
  for (let n = 0; n < count; n += 1) {
    onRow(n);
    yield {
      day: `2026-11-${String(1 + (n % 28)).padStart(2, '0')}`,
      channel: 'web',
      locale: n % 3 === 0 ? 'en' : 'zh-CN',
      answers: { concerns: ['fraud', 'burglary', 'traffic'], district: TEST_DISTRICTS[n % 3]!, safety: 1 + (n % 5), victim: n % 2 ? 'yes' : 'no', 'crime-kind': [kinds[n % 3]!], patrols: 'weekly', advice: `第 ${n} 条建议：夜间巡逻多一些` },
      otherText: {},
    };
  }
}

/**
 * A client that reads nothing while the writer keeps writing: it lets its chunks go only once the writer has
 * stopped producing rows (it waits for the client), so a writer that ignored the client would fill memory.
 */
class StallingClient extends Writable {
  bytes = 0;
  private held: Array<() => void> = [];
  private lastRow = -1;
  private seenRow = -1;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    super({ highWaterMark: 256 * 1024 });
    this.timer = setInterval(() => {
      if (this.lastRow === this.seenRow) this.release();
      this.seenRow = this.lastRow;
    }, 20);
  }

  rowProduced(n: number): void {
    this.lastRow = n;
  }

  /** Reads what it holds, and the next 2 MB as they come, then stalls again (a bursty mobile client). */
  release(): void {
    this.open = 2 * MB;
    for (const done of this.held.splice(0)) done();
  }

  private open = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length;
    if (this.open > 0) {
      this.open -= chunk.length;
      done();
    } else this.held.push(done);
  }

  override _final(done: () => void): void {
    clearInterval(this.timer);
    this.release();
    done();
  }
}

describe('the streamed workbook', () => {
  it(`writes ${ROWS} responses to a client that stalls with memory bounded`, { timeout: scaled(300_000) }, async () => {
    const i18n = new I18n();
    const definition = everyTypeDefinition();
    const layout = new ExportLayout(definition.questions, { districts: TEST_DISTRICTS.map((id) => ({ id, name: { 'zh-CN': `${id}区`, en: id } })) }, (l, k, p) => i18n.translate(l, k, p));
    const client = new StallingClient();
    const before = usedMemory();
    let peak = 0;
    let passes = 0;
    let listeners = 0;
    const result = await writeResponsesWorkbook({
      layout,
      locale: 'zh-CN',
      translate: (l, k, p) => i18n.translate(l, k, p),
      about: { surveyTitle: 'x', bureauName: 'y', filters: [], exportedAt: 'now' },
      responses: (async function* () {
        passes += 1;
        yield* synthetic(ROWS, (n) => {
          client.rowProduced(n);
          if (n % 10_000 === 0) peak = Math.max(peak, usedMemory() - before);
          if (n % 1000 === 0) listeners = Math.max(listeners, client.listenerCount('close'), client.listenerCount('drain'));
        });
      })(),
      output: client,
    });
    await new Promise((resolve) => (client.writableFinished ? resolve(null) : client.once('finish', resolve)));
    expect(result.rows).toBe(ROWS);
    expect(passes).toBe(1);
    // The workbook is far larger than the bound; what waits in memory is a few chunks and a batch of rows.
    expect(client.bytes).toBeGreaterThan(4 * MB);
    console.log(`streamed ${ROWS} responses (two sheets, ${(client.bytes / MB).toFixed(1)} MB zipped): peak ${(peak / MB).toFixed(1)} MB above the start`);
    expect(peak).toBeLessThan(48 * MB);
    // Each wait for the client removes its listeners again (thousands of waits would otherwise pile up).
    expect(listeners).toBeLessThan(5);
  });

  it('writes a workbook that exceljs reads back, row for row, reading the responses once and leaving no temporary file', async () => {
    const temporary = () => readdirSync(tmpdir()).filter((name) => name.startsWith('minyi-export-')).length;
    const before = temporary();
    const i18n = new I18n();
    const definition = everyTypeDefinition();
    const layout = new ExportLayout(definition.questions, { districts: TEST_DISTRICTS.map((id) => ({ id, name: { 'zh-CN': `${id}区`, en: id } })) }, (l, k, p) => i18n.translate(l, k, p));
    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => { chunks.push(chunk); done(); } });
    await writeResponsesWorkbook({ layout, locale: 'en', translate: (l, k, p) => i18n.translate(l, k, p), about: { surveyTitle: 'x', bureauName: 'y', filters: [], exportedAt: 'now' }, responses: (async function* () { yield* synthetic(1000, () => {}); })(), output: sink });
    await new Promise((resolve) => (sink.writableFinished ? resolve(null) : sink.once('finish', resolve)));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.concat(chunks) as never);
    expect(workbook.getWorksheet('responses')!.rowCount).toBe(1001);
    expect(workbook.getWorksheet('codes')!.rowCount).toBe(1001);
    expect(workbook.getWorksheet('codes')!.getRow(2).getCell(1).value).toBe('2026-11-01');
    expect(workbook.getWorksheet('responses')!.getRow(1001).getCell(1).value).toBe(workbook.getWorksheet('codes')!.getRow(1001).getCell(1).value);
    expect(temporary()).toBe(before);
  });
});
