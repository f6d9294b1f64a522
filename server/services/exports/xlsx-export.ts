/**
 * The Excel workbook of a survey's responses, streamed with exceljs's WorkbookWriter: rows are committed as
 * they come from the cursor and the writer waits whenever the client reads slower than the database, so a
 * million responses never sit in memory. Sheets: "responses" (labels), "codes", "codebook", "about".
 * The responses are read once, so both sheets hold the same ones even while votes arrive.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { LOCALES, type Locale } from '../../models/survey-definition.types.js';
import type { CodeVariable, ExportedResponse, ExportLayout, Translate } from './export-layout.js';

/** Rows written between two looks at the zip and the client: small enough that what waits stays small. */
const ROWS_PER_CHECK = 100;
/** Sheet XML handed to the zip but not yet compressed, at most. */
const MAX_UNZIPPED_BYTES = 1024 * 1024;

/**
 * Waits for `subscribe`'s signal, or rejects when the client goes away first. Listeners are removed either
 * way: a million rows wait thousands of times, and a listener left behind each time would add up.
 */
function unlessClosed(output: Writable, subscribe: (done: () => void) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (output.destroyed) return reject(new Error('the client went away'));
    const onClose = () => {
      unsubscribe();
      reject(new Error('the client went away'));
    };
    const unsubscribe = subscribe(() => {
      output.off('close', onClose);
      resolve();
    });
    output.once('close', onClose);
  });
}

/** Resolves when the client has taken what it was sent; rejects if it went away. */
export async function drained(output: Writable): Promise<void> {
  if (!output.writableNeedDrain) return;
  await unlessClosed(output, (done) => {
    output.once('drain', done);
    return () => output.off('drain', done);
  });
}

interface Intake {
  write(chunk: Buffer, callback?: () => void): boolean;
}

/**
 * How much of a sheet's XML waits for the zip. exceljs hands each committed row to the zip without waiting
 * (its StreamBuf ignores backpressure), so while deflate is slower than the database the XML would pile up
 * unbounded before the client is even involved. A write's callback fires once the zip has taken the chunk:
 * counting the bytes between the two tells the writer when to wait.
 */
class ZipIntake {
  private pending = 0;
  private wake: (() => void) | null = null;

  constructor(sheet: Sheet) {
    // The sheet's stream and its one destination (archiver's PassThrough); checked, so an upgrade of exceljs
    // that changes them fails loudly rather than silently losing the bound.
    const pipes = (sheet as unknown as { stream?: { pipes?: Intake[] } }).stream?.pipes;
    if (!Array.isArray(pipes) || pipes.length !== 1 || typeof pipes[0]?.write !== 'function') throw new Error('exceljs: unexpected worksheet stream; the export cannot bound its memory');
    const intake = pipes[0];
    const write = intake.write.bind(intake);
    intake.write = (chunk: Buffer, callback?: () => void) => {
      this.pending += chunk.length;
      return write(chunk, () => {
        this.pending -= chunk.length;
        if (this.pending <= MAX_UNZIPPED_BYTES && this.wake) {
          const wake = this.wake;
          this.wake = null;
          wake();
        }
        callback?.();
      });
    };
  }

  /** Resolves once the zip has taken all but MAX_UNZIPPED_BYTES; rejects if the client went away meanwhile. */
  async taken(output: Writable): Promise<void> {
    if (this.pending <= MAX_UNZIPPED_BYTES) return;
    await unlessClosed(output, (done) => {
      this.wake = done;
      return () => {
        this.wake = null;
      };
    });
  }
}

export interface WorkbookAbout {
  surveyTitle: string;
  bureauName: string;
  filters: string[];
  exportedAt: string;
}

type Sheet = ReturnType<ExcelJS.stream.xlsx.WorkbookWriter['addWorksheet']>;

export async function writeResponsesWorkbook(input: {
  layout: ExportLayout;
  locale: Locale;
  translate: Translate;
  about: WorkbookAbout;
  /** Read once: both sheets of responses hold the same responses, even while votes arrive. */
  responses: AsyncIterable<ExportedResponse>;
  output: Writable;
}): Promise<{ rows: number }> {
  // No shared strings and no styles: both would grow with every row in memory.
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: input.output, useStyles: false, useSharedStrings: false });
  workbook.creator = 'Minyi';
  const frozen = { views: [{ state: 'frozen' as const, ySplit: 1 }] };
  // Added in the order they are written: the zip takes one sheet at a time, the next one waits in memory.
  // Sheet names stay the same in every language, so a script can read a sheet by its name.
  const labelsSheet = workbook.addWorksheet('responses', frozen);
  const codesSheet = workbook.addWorksheet('codes', frozen);
  const codebookSheet = workbook.addWorksheet('codebook', frozen);
  const aboutSheet = workbook.addWorksheet('about');

  const streamRows = async (sheet: Sheet, header: string[], rows: AsyncIterable<unknown[]>) => {
    sheet.columns = header.map((h) => ({ width: Math.min(40, Math.max(10, [...h].length + 2)) }));
    sheet.addRow(header).commit();
    const intake = new ZipIntake(sheet);
    let count = 0;
    for await (const values of rows) {
      // Strings stay strings: exceljs writes them as text cells, which Excel and WPS never run as formulas.
      sheet.addRow(values).commit();
      count += 1;
      if (count % ROWS_PER_CHECK === 0) {
        await intake.taken(input.output);
        await drained(input.output);
      }
    }
    sheet.commit();
    return count;
  };

  const labelColumns = input.layout.labelColumns(input.locale);
  const variables = input.layout.variables;
  // The zip writes one sheet after the other, so the codes of the responses wait in a private temporary file
  // (one JSON line each) while the labelled sheet is written, and it is deleted whatever happens.
  const dir = await mkdtemp(path.join(tmpdir(), 'minyi-export-'));
  const codesFile = path.join(dir, 'codes.jsonl');
  const codes = createWriteStream(codesFile, { mode: 0o600 });
  try {
    const written = once(codes, 'close');
    async function* labelled() {
      for await (const response of input.responses) {
        if (!codes.write(`${JSON.stringify(variables.map((v) => v.code(response) ?? null))}\n`)) await once(codes, 'drain');
        yield labelColumns.map((c) => c.value(response) ?? null);
      }
    }
    const rows = await streamRows(labelsSheet, labelColumns.map((c) => c.header), labelled());
    codes.end();
    await written;
    async function* coded() {
      for await (const line of createInterface({ input: createReadStream(codesFile), crlfDelay: Infinity })) yield JSON.parse(line) as unknown[];
    }
    await streamRows(codesSheet, variables.map((v) => v.name), coded());
    writeCodebook(codebookSheet, variables, input.locale, input.translate);
    writeAbout(aboutSheet, rows, input.about, input.locale, input.translate);
    await workbook.commit();
    return { rows };
  } finally {
    codes.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What every code means: a row per variable, then a row per code with its labels in both languages. */
function writeCodebook(sheet: Sheet, variables: CodeVariable[], locale: Locale, translate: Translate): void {
  const t = (key: string, params?: Record<string, unknown>) => translate(locale, key, params);
  sheet.columns = [{ width: 24 }, { width: 40 }, { width: 24 }, { width: 8 }, { width: 20 }, { width: 30 }, { width: 30 }];
  sheet.addRow([t('exports.codebook.variable'), t('exports.codebook.question'), t('exports.codebook.type'), t('exports.codebook.code'), t('exports.codebook.answerId'), t('exports.codebook.labelZh'), t('exports.codebook.labelEn')]).commit();
  for (const variable of variables) {
    const type = t(`exports.type.${variable.kind}`);
    const label = variable.label[locale] || variable.label['zh-CN'];
    sheet.addRow([variable.name, label, type]).commit();
    for (const value of variable.values) sheet.addRow([variable.name, label, type, value.code, value.id, value.label['zh-CN'], value.label.en]).commit();
    const scale = variable.scale;
    if (scale) sheet.addRow([variable.name, label, type, null, null, ...LOCALES.map((l) => `${translate(l, 'exports.scaleLow', { label: scale.low[l] })}; ${translate(l, 'exports.scaleHigh', { label: scale.high[l] })}`)]).commit();
  }
  sheet.commit();
}

/** The survey, the filters, the time of export (in the bureau's time zone) and the number of responses. */
function writeAbout(sheet: Sheet, rows: number, about: WorkbookAbout, locale: Locale, translate: Translate): void {
  const t = (key: string) => translate(locale, key);
  sheet.columns = [{ width: 20 }, { width: 80 }];
  const lines: Array<[string, string | number]> = [
    [t('exports.about.survey'), about.surveyTitle],
    [t('exports.about.bureau'), about.bureauName],
    [t('exports.about.filters'), about.filters.length > 0 ? about.filters.join('; ') : t('dashboard.noFilters')],
    [t('exports.about.exportedAt'), about.exportedAt],
    [t('exports.about.rows'), rows],
    [t('exports.about.language'), locale],
    [t('exports.about.note'), t('exports.about.noteText')],
  ];
  for (const line of lines) sheet.addRow(line).commit();
  sheet.commit();
}
