/**
 * One survey's responses as typed-array columns: a small integer per single-valued answer, a bit set per
 * multiple-choice answer, one small integer per rank position, one byte per response for day, district,
 * channel and "still current". An answer filter or a cross-tab is then a pass over these arrays instead of a
 * read of every response from the database (which FerretDB answers by scanning the whole collection).
 *
 * Memory per response: 2 bytes each for the day, the district and the channel, 1 for "live", and per
 * question 1 byte ("answered") plus 2 bytes (single value), 4 bytes per 32 options (multiple choice) or 2 bytes
 * per rank position (ranking). The survey of the demo (10 questions) takes about 30 bytes, so 30 MB per
 * million responses, held outside the JavaScript heap (ArrayBuffers), so `npm start`'s heap cap still holds.
 */
import type { AnswerValue } from '../../models/response.model.js';
import type { Question } from '../../models/survey-definition.types.js';
import type { DashboardFilter } from '../dashboards/dashboard-filter.js';

export type ColumnRow = { answers: Record<string, AnswerValue>; day: string; district: string | null; channel: string };

/** Ids in first-seen order, coded 1, 2, 3… (0 stands for "none"). */
class Dictionary {
  readonly ids: string[] = [];
  private readonly codes = new Map<string, number>();

  code(id: string): number {
    let code = this.codes.get(id);
    if (code === undefined) {
      if (this.ids.length >= 65_534) throw new RangeError('too many distinct values for a column');
      this.ids.push(id);
      code = this.ids.length;
      this.codes.set(id, code);
    }
    return code;
  }

  find(id: string): number {
    return this.codes.get(id) ?? 0;
  }

  get size(): number {
    return this.ids.length;
  }
}

interface QuestionColumn {
  question: Question;
  values: Dictionary;
  answered: Uint8Array;
  /** single, yes-no, rating, district: the value's code. */
  single?: Uint16Array;
  /** multiple: `words` 32-bit words per response, bit (code − 1) set when chosen. */
  bits?: Uint32Array;
  words: number;
  /** ranking: one code per rank position, position-major (ranks[p][row]). */
  ranks?: Uint16Array[];
}

/** What a filter pass adds up: the same counters a tally holds, as arrays indexed by code. */
export interface ColumnCounts {
  total: number;
  byDay: Map<string, number>;
  byDistrict: Map<string, number>;
  byChannel: Map<string, number>;
  questions: Map<string, { answered: number; options: Map<string, number>; ranks: Map<string, Map<number, number>> }>;
}

/** What crossCounts finds, read by ids. */
export interface CrossCounts {
  /** Respondents who answered both questions (and pass the filter). */
  total: number;
  count(row: string, column: string): number;
  rowBase(row: string): number;
  colBase(column: string): number;
  ratingSum(row: string): number;
  ratingSquares(row: string): number;
  /** Every value seen, listed or not. */
  rowIds: string[];
  colIds: string[];
}

/** Passes remembered per survey while its data is unchanged. */
const MEMO_SIZE = 32;

/** Rows a pass hands back in chunks, so a million-row pass lets votes and other requests run in between. */
const CHUNK = 131_072;

const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SurveyColumns {
  private capacity: number;
  size = 0;
  /** Rows no longer current (a day read again replaces its rows). */
  dead = 0;
  private live: Uint8Array;
  private day: Uint16Array;
  private district: Uint16Array;
  private channel: Uint16Array;
  readonly days = new Dictionary();
  readonly districts = new Dictionary();
  readonly channels = new Dictionary();
  /** Live rows per day code, to compare with the tally's counts per day. */
  private perDay: number[] = [];
  readonly columns: QuestionColumn[];
  /** Grows with every change of the rows, so a remembered pass is used only on the data it read. */
  private version = 0;
  private memoVersion = 0;
  private memoAt = 0;
  /** How long a remembered pass may be used after the rows changed (0: never). */
  maxStaleMs = 0;
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    readonly questions: readonly Question[],
    initialCapacity = 1024,
  ) {
    this.capacity = initialCapacity;
    this.live = new Uint8Array(initialCapacity);
    this.day = new Uint16Array(initialCapacity);
    this.district = new Uint16Array(initialCapacity);
    this.channel = new Uint16Array(initialCapacity);
    this.columns = questions.map((question) => {
      const words = question.type === 'multiple' ? Math.ceil((question.options.length + 2) / 32) : 0;
      const column: QuestionColumn = { question, values: new Dictionary(), answered: new Uint8Array(initialCapacity), words };
      // Listed answers get the first codes, so the common case never grows a bit set.
      if ('options' in question) for (const option of question.options) column.values.code(option.id);
      if (question.type === 'multiple') column.bits = new Uint32Array(initialCapacity * words);
      else if (question.type === 'ranking') column.ranks = Array.from({ length: question.rankCount }, () => new Uint16Array(initialCapacity));
      else if (question.type !== 'text') column.single = new Uint16Array(initialCapacity);
      return column;
    });
  }

  /** Live responses counted per day. */
  count(day: string): number {
    const code = this.days.find(day);
    return code === 0 ? 0 : this.perDay[code] ?? 0;
  }

  get liveRows(): number {
    return this.size - this.dead;
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    let bytes = this.live.byteLength + this.day.byteLength + this.district.byteLength + this.channel.byteLength;
    for (const column of this.columns) {
      bytes += column.answered.byteLength + (column.single?.byteLength ?? 0) + (column.bits?.byteLength ?? 0);
      for (const ranks of column.ranks ?? []) bytes += ranks.byteLength;
    }
    return bytes;
  }

  add(row: ColumnRow): void {
    this.version += 1;
    if (this.size === this.capacity) this.grow(this.capacity * 2);
    const i = this.size;
    this.size += 1;
    this.live[i] = 1;
    const day = this.days.code(row.day);
    this.day[i] = day;
    this.perDay[day] = (this.perDay[day] ?? 0) + 1;
    this.district[i] = row.district ? this.districts.code(row.district) : 0;
    this.channel[i] = this.channels.code(row.channel);
    for (const column of this.columns) {
      const answer = row.answers[column.question.id];
      if (answer === undefined) continue;
      column.answered[i] = 1;
      if (column.single) column.single[i] = column.values.code(String(answer));
      else if (column.bits && Array.isArray(answer)) {
        for (const id of answer) {
          const code = column.values.code(id);
          if (code > column.words * 32) this.widen(column, Math.ceil(code / 32));
          column.bits[i * column.words + ((code - 1) >>> 5)]! |= 1 << ((code - 1) & 31);
        }
      } else if (column.ranks && Array.isArray(answer)) {
        answer.forEach((id, position) => {
          if (position < column.ranks!.length) column.ranks![position]![i] = column.values.code(id);
        });
      }
    }
  }

  /** Marks every live row of these days as no longer current (they are about to be read again). */
  retireDays(days: readonly string[]): void {
    const codes = new Set(days.map((day) => this.days.find(day)).filter((code) => code > 0));
    if (codes.size === 0) return;
    this.version += 1;
    for (let i = 0; i < this.size; i += 1) {
      if (this.live[i] === 1 && codes.has(this.day[i]!)) {
        this.live[i] = 0;
        this.dead += 1;
      }
    }
    for (const code of codes) this.perDay[code] = 0;
  }

  /** Copies the live rows to the front and forgets the rest, when retired rows take too much room. */
  compact(): void {
    this.version += 1;
    let to = 0;
    for (let from = 0; from < this.size; from += 1) {
      if (this.live[from] !== 1) continue;
      if (to !== from) {
        this.live[to] = 1;
        this.day[to] = this.day[from]!;
        this.district[to] = this.district[from]!;
        this.channel[to] = this.channel[from]!;
        for (const column of this.columns) {
          column.answered[to] = column.answered[from]!;
          if (column.single) column.single[to] = column.single[from]!;
          if (column.bits) column.bits.copyWithin(to * column.words, from * column.words, (from + 1) * column.words);
          for (const ranks of column.ranks ?? []) ranks[to] = ranks[from]!;
        }
      }
      to += 1;
    }
    this.live.fill(0, to, this.size);
    for (const column of this.columns) {
      column.answered.fill(0, to, this.size);
      column.single?.fill(0, to, this.size);
      column.bits?.fill(0, to * column.words, this.size * column.words);
      for (const ranks of column.ranks ?? []) ranks.fill(0, to, this.size);
    }
    this.size = to;
    this.dead = 0;
  }

  /**
   * The live rows that pass the filter, as row numbers: one tight loop per filter field over its typed array,
   * each narrowing the previous selection. For a ranking, an answer filter selects those who ranked the item
   * at any position.
   */
  async select(filter: DashboardFilter): Promise<Uint32Array> {
    const size = this.size;
    const live = this.live;
    let selected = new Uint32Array(this.liveRows);
    let n = 0;
    // The first field narrows from every row in one loop over its own array; the others from that selection.
    const tests: Array<(i: number) => boolean> = [];
    if (filter.answer) {
      const column = this.columns.find((c) => c.question.id === filter.answer!.question);
      const code = column?.values.find(filter.answer.value) ?? 0;
      if (!column || code === 0) return new Uint32Array(0);
      if (column.single) {
        const values = column.single;
        for (let start = 0; start < size; start += CHUNK) {
          if (start > 0) await yieldToOthers();
          const stop = Math.min(size, start + CHUNK);
          for (let i = start; i < stop; i += 1) if (values[i] === code && live[i] === 1) selected[n++] = i;
        }
      } else {
        let test: (i: number) => boolean;
        if (column.bits) {
          const bits = column.bits;
          const words = column.words;
          const word = (code - 1) >>> 5;
          const mask = 1 << ((code - 1) & 31);
          test = (i) => (bits[i * words + word]! & mask) !== 0;
        } else if (column.ranks) {
          const ranks = column.ranks;
          test = (i) => {
            for (const positions of ranks) if (positions[i] === code) return true;
            return false;
          };
        } else return new Uint32Array(0);
        for (let start = 0; start < size; start += CHUNK) {
          if (start > 0) await yieldToOthers();
          const stop = Math.min(size, start + CHUNK);
          for (let i = start; i < stop; i += 1) if (live[i] === 1 && test(i)) selected[n++] = i;
        }
      }
    } else {
      for (let start = 0; start < size; start += CHUNK) {
        if (start > 0) await yieldToOthers();
        const stop = Math.min(size, start + CHUNK);
        for (let i = start; i < stop; i += 1) if (live[i] === 1) selected[n++] = i;
      }
    }
    selected = selected.subarray(0, n);
    if (filter.from || filter.to) {
      const allowed = new Uint8Array(this.days.size + 1);
      this.days.ids.forEach((day, index) => {
        if ((!filter.from || day >= filter.from) && (!filter.to || day <= filter.to)) allowed[index + 1] = 1;
      });
      const days = this.day;
      tests.push((i) => allowed[days[i]!] === 1);
    }
    if (filter.district) {
      const code = this.districts.find(filter.district);
      const districts = this.district;
      tests.push((i) => code !== 0 && districts[i] === code);
    }
    if (filter.channel) {
      const code = this.channels.find(filter.channel);
      const channels = this.channel;
      tests.push((i) => code !== 0 && channels[i] === code);
    }
    for (const test of tests) {
      let m = 0;
      for (let k = 0; k < selected.length; k += 1) {
        const i = selected[k]!;
        if (test(i)) selected[m++] = i;
      }
      selected = selected.subarray(0, m);
    }
    return selected;
  }

  /** Counts of `codes` over the selected rows, in one tight loop. */
  private static tally(codes: Uint16Array, selected: Uint32Array, size: number): Float64Array {
    const counts = new Float64Array(size);
    for (let k = 0; k < selected.length; k += 1) {
      const code = codes[selected[k]!]!;
      if (code < size) counts[code]! += 1;
    }
    return counts;
  }

  /** The counters of the rows matching the filter, in the shape of a tally; one loop per column. */
  async counts(filter: DashboardFilter): Promise<ColumnCounts> {
    return this.remember(`counts ${JSON.stringify(filter)}`, () => this.countAll(filter));
  }

  private async countAll(filter: DashboardFilter): Promise<ColumnCounts> {
    const selected = await this.select(filter);
    const byDay = SurveyColumns.tally(this.day, selected, this.days.size + 1);
    const byDistrict = SurveyColumns.tally(this.district, selected, this.districts.size + 1);
    const byChannel = SurveyColumns.tally(this.channel, selected, this.channels.size + 1);
    const named = (values: Float64Array, dictionary: Dictionary) => {
      const map = new Map<string, number>();
      dictionary.ids.forEach((id, index) => {
        if ((values[index + 1] ?? 0) > 0) map.set(id, values[index + 1]!);
      });
      return map;
    };
    const questions = new Map<string, { answered: number; options: Map<string, number>; ranks: Map<string, Map<number, number>> }>();
    for (const column of this.columns) {
      await yieldToOthers();
      // Codes seen later than this pass started are left out of it: the arrays are sized once here.
      const width = column.values.size + 1;
      let answered = 0;
      let options: Float64Array = new Float64Array(width);
      const ranks = new Map<string, Map<number, number>>();
      if (column.single) {
        options = SurveyColumns.tally(column.single, selected, width);
        for (let code = 1; code < width; code += 1) answered += options[code]!;
      } else {
        const flags = column.answered;
        for (let k = 0; k < selected.length; k += 1) answered += flags[selected[k]!]!;
        if (column.bits) {
          const bits = column.bits;
          const words = column.words;
          for (let k = 0; k < selected.length; k += 1) {
            const at = selected[k]! * words;
            for (let w = 0; w < words; w += 1) {
              let word: number = bits[at + w]!;
              while (word !== 0) {
                const code: number = w * 32 + (31 - Math.clz32(word & -word)) + 1;
                if (code < width) options[code]! += 1;
                word &= word - 1;
              }
            }
          }
        } else if (column.ranks) {
          column.ranks.forEach((positions, p) => {
            const atRank = SurveyColumns.tally(positions, selected, width);
            column.values.ids.forEach((id, index) => {
              const count = atRank[index + 1]!;
              if (count === 0) return;
              options[index + 1]! += count;
              (ranks.get(id) ?? ranks.set(id, new Map()).get(id)!).set(p + 1, count);
            });
          });
        }
      }
      if (answered > 0) questions.set(column.question.id, { answered, options: named(options, column.values), ranks });
    }
    return { total: selected.length, byDay: named(byDay, this.days), byDistrict: named(byDistrict, this.districts), byChannel: named(byChannel, this.channels), questions };
  }

  /**
   * Cross-tabulation counts of two questions among the rows matching the filter and answering both: for
   * each row category r and column category c, how many respondents fell in both (n), how many fell in r
   * (the row's base: each respondent once, however many columns they chose), in c, and in all. A ranking
   * counts its item at `rankPosition` (0 = first choice), or every ranked item when it is −1. For a rating
   * column, the sum and sum of squares of its values per row, for means.
   */
  async crossCounts(filter: DashboardFilter, rowsId: string, colsId: string, rankPosition: { rows: number; cols: number }): Promise<CrossCounts | null> {
    return this.remember(`cross ${rowsId} ${colsId} ${rankPosition.rows} ${rankPosition.cols} ${JSON.stringify(filter)}`, () => this.crossAll(filter, rowsId, colsId, rankPosition));
  }

  private async crossAll(filter: DashboardFilter, rowsId: string, colsId: string, rankPosition: { rows: number; cols: number }): Promise<CrossCounts | null> {
    const rows = this.column(rowsId);
    const cols = this.column(colsId);
    if (!rows || !cols) return null;
    const selected = await this.select(filter);
    const width = cols.values.size + 1;
    const height = rows.values.size + 1;
    const cells = new Float64Array(height * width);
    const rowBase = new Float64Array(height);
    const colBase = new Float64Array(width);
    const sums = new Float64Array(height);
    const squares = new Float64Array(height);
    const ratingValue = cols.question.type === 'rating' ? [0, ...cols.values.ids.map(Number)] : null;
    // One code per respondent (single answers, a ranking at one position): the common case, a tight loop.
    const oneCode = (column: QuestionColumn, position: number) => column.single ?? (column.ranks && position >= 0 ? column.ranks[position] ?? null : null);
    const rowCodes = oneCode(rows, rankPosition.rows);
    const colCodes = oneCode(cols, rankPosition.cols);
    let total = 0;
    if (rowCodes && colCodes) {
      for (let k = 0; k < selected.length; k += 1) {
        const i = selected[k]!;
        const r = rowCodes[i]!;
        const c = colCodes[i]!;
        if (r === 0 || c === 0 || r >= height || c >= width) continue;
        total += 1;
        rowBase[r]! += 1;
        colBase[c]! += 1;
        cells[r * width + c]! += 1;
        if (ratingValue) {
          const value = ratingValue[c]!;
          sums[r]! += value;
          squares[r]! += value * value;
        }
      }
    } else if (rowCodes && cols.bits) {
      // One row per respondent, a bit set of columns (district × a multiple-choice question): no lists built.
      const bits = cols.bits;
      const words = cols.words;
      for (let k = 0; k < selected.length; k += 1) {
        const i = selected[k]!;
        const r = rowCodes[i]!;
        if (r === 0 || r >= height) continue;
        let any = false;
        for (let w = 0; w < words; w += 1) {
          let word: number = bits[i * words + w]!;
          while (word !== 0) {
            const c: number = w * 32 + (31 - Math.clz32(word & -word)) + 1;
            word &= word - 1;
            if (c >= width) continue;
            any = true;
            cells[r * width + c]! += 1;
            colBase[c]! += 1;
          }
        }
        if (!any) continue;
        total += 1;
        rowBase[r]! += 1;
      }
    } else {
      const rowCats = new Uint16Array(Math.max(64, rows.words * 32 + 1));
      const colCats = new Uint16Array(Math.max(64, cols.words * 32 + 1));
      for (let k = 0; k < selected.length; k += 1) {
        if ((k & (CHUNK - 1)) === 0 && k > 0) await yieldToOthers();
        const i = selected[k]!;
        if (rows.answered[i] !== 1 || cols.answered[i] !== 1) continue;
        const nr = categoriesOfColumn(rows, i, rowCats, rankPosition.rows);
        const nc = categoriesOfColumn(cols, i, colCats, rankPosition.cols);
        if (nr === 0 || nc === 0) continue;
        total += 1;
        for (let b = 0; b < nc; b += 1) if (colCats[b]! < width) colBase[colCats[b]!]! += 1;
        for (let a = 0; a < nr; a += 1) {
          const r = rowCats[a]!;
          if (r >= height) continue;
          rowBase[r]! += 1;
          if (ratingValue) {
            const value = ratingValue[colCats[0]!]!;
            sums[r]! += value;
            squares[r]! += value * value;
          }
          for (let b = 0; b < nc; b += 1) if (colCats[b]! < width) cells[r * width + colCats[b]!]! += 1;
        }
      }
    }
    const rowIds = rows.values.ids.slice(0, height - 1);
    const colIds = cols.values.ids.slice(0, width - 1);
    const rowIndex = new Map(rowIds.map((id, index) => [id, index + 1]));
    const colIndex = new Map(colIds.map((id, index) => [id, index + 1]));
    const at = (array: Float64Array, index: Map<string, number>, id: string) => {
      const a = index.get(id);
      return a === undefined ? 0 : array[a]!;
    };
    return {
      total,
      count: (r, c) => {
        const a = rowIndex.get(r);
        const b = colIndex.get(c);
        return a === undefined || b === undefined ? 0 : cells[a * width + b]!;
      },
      rowBase: (r) => at(rowBase, rowIndex, r),
      colBase: (c) => at(colBase, colIndex, c),
      ratingSum: (r) => at(sums, rowIndex, r),
      ratingSquares: (r) => at(squares, rowIndex, r),
      rowIds,
      colIds,
    };
  }

  /**
   * The answer of a pass while the data it read has not changed (`version`), shared by the requests that ask
   * for it at the same time: ten planners opening the same view cost one pass, not ten.
   */
  private remember<T>(key: string, compute: () => Promise<T>): Promise<T> {
    // New votes make remembered passes stale, but no staler than the tally itself may be (its flush interval):
    // while residents vote, a view planners keep reloading costs one pass per interval, not one per request.
    const now = Date.now();
    if (this.memoVersion !== this.version && now - this.memoAt >= this.maxStaleMs) {
      this.memo.clear();
      this.memoVersion = this.version;
      this.memoAt = now;
    }
    let found = this.memo.get(key) as Promise<T> | undefined;
    if (!found) {
      found = compute();
      const version = this.version;
      found.catch(() => {
        if (this.memoVersion === version) this.memo.delete(key);
      });
      if (this.memo.size >= MEMO_SIZE) this.memo.delete(this.memo.keys().next().value!);
      this.memo.set(key, found);
    }
    return found;
  }

  column(questionId: string): QuestionColumn | undefined {
    return this.columns.find((c) => c.question.id === questionId);
  }

  /** Row facts the cross-tab needs for district and ranking columns alike. */
  valueIds(questionId: string): string[] {
    return this.column(questionId)?.values.ids ?? [];
  }

  private grow(capacity: number): void {
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array>(array: T, size: number): T => {
      const next = new (array.constructor as new (n: number) => T)(size);
      next.set(array);
      return next;
    };
    this.live = grown(this.live, capacity);
    this.day = grown(this.day, capacity);
    this.district = grown(this.district, capacity);
    this.channel = grown(this.channel, capacity);
    for (const column of this.columns) {
      column.answered = grown(column.answered, capacity);
      if (column.single) column.single = grown(column.single, capacity);
      if (column.bits) column.bits = grown(column.bits, capacity * column.words);
      if (column.ranks) column.ranks = column.ranks.map((ranks) => grown(ranks, capacity));
    }
    this.capacity = capacity;
  }

  /** More options seen than the bit set was made for (options removed from a definition, say): widen it. */
  private widen(column: QuestionColumn, words: number): void {
    const bits = new Uint32Array(this.capacity * words);
    for (let i = 0; i < this.size; i += 1) bits.set(column.bits!.subarray(i * column.words, (i + 1) * column.words), i * words);
    column.bits = bits;
    column.words = words;
  }
}

export function categoriesOfColumn(column: QuestionColumn, i: number, into: Uint16Array, rankPosition: number): number {
  if (column.single) {
    into[0] = column.single[i]!;
    return into[0] === 0 ? 0 : 1;
  }
  if (column.bits) {
    let n = 0;
    for (let w = 0; w < column.words; w += 1) {
      let word: number = column.bits[i * column.words + w]!;
      while (word !== 0) {
        const bit: number = 31 - Math.clz32(word & -word);
        into[n++] = w * 32 + bit + 1;
        word &= word - 1;
      }
    }
    return n;
  }
  if (column.ranks) {
    if (rankPosition >= 0) {
      const code = column.ranks[rankPosition]?.[i] ?? 0;
      into[0] = code;
      return code === 0 ? 0 : 1;
    }
    let n = 0;
    for (const positions of column.ranks) if (positions[i]! !== 0) into[n++] = positions[i]!;
    return n;
  }
  return 0;
}
