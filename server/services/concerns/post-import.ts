/**
 * Parses an upload of microblog posts (CSV with a header row, or JSON) into checked rows: text, time,
 * district. A file that cannot be read is a 400, one with too many rows a 413, and rows that can be read
 * but are wrong a 422 naming each row (up to 20), so nothing of a bad file is stored.
 */
import { BadRequestError, PayloadTooLargeError, ValidationError, type FieldProblem } from '../../errors/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import { zonedWallTimeToDate } from '../surveys/zoned-time.js';

export const MAX_IMPORT_ROWS = 50_000;
/** Survey pages allow 2,000 characters; a 140-character post is the typical row. */
export const MAX_POST_CHARACTERS = 2000;
const MAX_PROBLEMS = 20;

export interface ImportedPost {
  text: string;
  postedAt: Date;
  district: string | null;
}

interface RawRow {
  /** Row number as staff see it: the spreadsheet row (the header is row 1), or the item of a JSON list. */
  number?: number;
  text?: unknown;
  time?: unknown;
  district?: unknown;
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(source: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i]!;
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && source[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new BadRequestError('The CSV file ends inside a quoted field.', { details: { reason: 'openQuote' } });
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

function rowsFromCsv(source: string): RawRow[] {
  const [header, ...rows] = parseCsv(source);
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  const textAt = columns.indexOf('text');
  const timeAt = columns.indexOf('time');
  if (textAt < 0 || timeAt < 0) throw new BadRequestError('The CSV file needs a header row with the columns text and time (district is optional).', { details: { reason: 'header' } });
  const districtAt = columns.indexOf('district');
  if (rows.length > MAX_IMPORT_ROWS) throw new PayloadTooLargeError(`At most ${MAX_IMPORT_ROWS} posts per file.`, { details: { reason: 'tooManyRows', max: MAX_IMPORT_ROWS } });
  return rows.map((r, i) => ({ number: i + 2, text: r[textAt], time: r[timeAt], district: districtAt >= 0 ? r[districtAt] : undefined }));
}

function rowsFromJson(source: string): RawRow[] {
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch {
    throw new BadRequestError('The JSON file could not be read.', { details: { reason: 'json' } });
  }
  const list = Array.isArray(data) ? data : data && typeof data === 'object' && Array.isArray((data as { posts?: unknown }).posts) ? (data as { posts: unknown[] }).posts : null;
  if (!list) throw new BadRequestError('The JSON file must be a list of posts, or an object with a "posts" list.', { details: { reason: 'jsonShape' } });
  if (list.length > MAX_IMPORT_ROWS) throw new PayloadTooLargeError(`At most ${MAX_IMPORT_ROWS} posts per file.`, { details: { reason: 'tooManyRows', max: MAX_IMPORT_ROWS } });
  return list.map((item, i) => ({ ...(item && typeof item === 'object' && !Array.isArray(item) ? (item as RawRow) : {}), number: i + 1 }));
}

const WALL_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2}))?$/;
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An instant from ISO 8601 with a zone, or a wall time ("2026-11-30 21:05") in the bureau's time zone. */
export function parsePostTime(value: string, timeZone: string): Date | null {
  const trimmed = value.trim();
  if (ZONED_TIME.test(trimmed)) {
    const date = new Date(trimmed);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  const wall = WALL_TIME.exec(trimmed);
  if (!wall) return null;
  const minute = zonedWallTimeToDate(`${wall[1]}T${wall[2]}`, timeZone);
  const seconds = Number(wall[3] ?? 0);
  if (!minute || seconds > 59) return null;
  return new Date(minute.getTime() + seconds * 1000);
}

export function parsePostUpload(body: Buffer, bureau: Pick<Bureau, 'districts' | 'timezone'>, now = new Date()): ImportedPost[] {
  let source: string;
  try {
    source = new TextDecoder('utf-8', { fatal: true }).decode(body).replace(/^\uFEFF/, '');
  } catch {
    throw new BadRequestError('The file is not UTF-8 text.', { details: { reason: 'encoding' } });
  }
  if (source.trim() === '') throw new BadRequestError('The file is empty.', { details: { reason: 'empty' } });
  const rows = /^\s*[[{]/.test(source) ? rowsFromJson(source) : rowsFromCsv(source);
  if (rows.length === 0) throw new BadRequestError('The file has no posts.', { details: { reason: 'noRows' } });
  const districts = new Map<string, string>();
  for (const d of bureau.districts) for (const key of [d.id, d.name['zh-CN'], d.name.en]) districts.set(key.trim().toLowerCase(), d.id);
  const latest = now.getTime() + 86_400_000;
  const problems: FieldProblem[] = [];
  const posts: ImportedPost[] = [];
  // The reason and its parameters let the page say it in the staff member's language.
  const problem = (index: number, field: string, reason: string, message: string, params: Record<string, unknown> = {}) => {
    const row = rows[index]!.number ?? index + 1;
    if (problems.length < MAX_PROBLEMS) problems.push({ pointer: `/${index}/${field}`, message: `Row ${row}: ${message}`, reason, params: { row, ...params } });
  };
  rows.forEach((row, index) => {
    const text = typeof row.text === 'string' ? row.text.trim() : '';
    const time = typeof row.time === 'string' ? parsePostTime(row.time, bureau.timezone) : null;
    const rawDistrict = typeof row.district === 'string' ? row.district.trim() : row.district == null ? '' : null;
    const district = rawDistrict === '' ? null : rawDistrict === null ? undefined : districts.get(rawDistrict.toLowerCase());
    let ok = true;
    if (!text) (ok = false), problem(index, 'text', 'emptyText', 'the text is empty.');
    else if ([...text].length > MAX_POST_CHARACTERS) (ok = false), problem(index, 'text', 'longText', `the text is longer than ${MAX_POST_CHARACTERS} characters.`, { max: MAX_POST_CHARACTERS });
    if (!time) (ok = false), problem(index, 'time', 'badTime', 'the time is missing or not a date and time (e.g. 2026-11-30 21:05 or 2026-11-30T13:05:00Z).');
    else if (time.getTime() > latest || time.getUTCFullYear() < 2000) (ok = false), problem(index, 'time', 'timeRange', 'the time is in the future or before 2000.');
    if (district === undefined) (ok = false), problem(index, 'district', 'district', `the district "${String(row.district).slice(0, 40)}" is not one of the bureau's.`, { district: String(row.district).slice(0, 40) });
    if (ok) posts.push({ text, postedAt: time!, district: district ?? null });
  });
  if (problems.length > 0) {
    const error = new ValidationError(problems, `${rows.length - posts.length} of ${rows.length} rows cannot be imported; nothing was stored.`);
    throw Object.assign(error, { rows: rows.length, refused: rows.length - posts.length });
  }
  return posts;
}
