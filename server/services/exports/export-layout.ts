/**
 * The columns of a response export, decided once per survey and shared by every format: the labelled table
 * (CSV, the "responses" sheet), the coded table (CSV for SPSS/R/Python, the "codes" sheet), the codebook and
 * the SPSS syntax. Deciding them in one place is what keeps the codebook true to the files it explains.
 */
import type { Bureau } from '../../models/bureau.model.js';
import { CHANNELS, type SurveyResponse } from '../../models/response.model.js';
import { LOCALES, OTHER_OPTION_ID, type Locale, type LocalizedText, type Question } from '../../models/survey-definition.types.js';
import { OTHER_TEXT_MAX_LENGTH } from '../surveys/answer-validator.js';

export type Translate = (locale: Locale, key: string, params?: Record<string, unknown>) => string;
export type ExportedResponse = Pick<SurveyResponse, 'day' | 'channel' | 'locale' | 'answers' | 'otherText'>;

export interface ValueLabel {
  code: number;
  /** The answer as stored (option id, district id, "yes"), or the code itself for ratings and choice flags. */
  id: string;
  label: LocalizedText;
}

/** One column of the coded table: an SPSS-safe name, a numeric code or a string. */
export interface CodeVariable {
  name: string;
  label: LocalizedText;
  kind: Question['type'] | 'other' | 'meta';
  questionId: string | null;
  type: 'numeric' | 'string';
  /** Bytes an SPSS string variable needs (UTF-8: up to 3 per Chinese character). */
  width: number;
  values: ValueLabel[];
  scale?: { low: LocalizedText; high: LocalizedText };
  code: (response: ExportedResponse) => number | string | null;
}

/** One column of the labelled table, in one language. */
export interface LabelColumn {
  header: string;
  value: (response: ExportedResponse) => string | number | null;
}

// Words SPSS reserves; a variable cannot be named after one.
const RESERVED = new Set(['ALL', 'AND', 'BY', 'EQ', 'GE', 'GT', 'LE', 'LT', 'NE', 'NOT', 'OR', 'TO', 'WITH']);

/** Names SPSS, PSPP, R and pandas all accept: a letter first, then letters, digits and underscores, at most 64 bytes. */
class VariableNames {
  private readonly used = new Set<string>();

  take(wanted: string): string {
    let base = wanted.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').slice(0, 56);
    if (!/^[A-Za-z]/.test(base)) base = `q_${base}`.slice(0, 56);
    if (RESERVED.has(base.toUpperCase())) base = `${base}_`;
    let name = base;
    for (let n = 2; this.used.has(name.toLowerCase()); n += 1) name = `${base}_${n}`;
    this.used.add(name.toLowerCase());
    return name;
  }
}

/** Headers that read well and never repeat (two questions may share a title). */
class Headers {
  private readonly used = new Set<string>();

  take(wanted: string, qualifier: string): string {
    let header = this.used.has(wanted) ? `${wanted} (${qualifier})` : wanted;
    for (let n = 2; this.used.has(header); n += 1) header = `${wanted} (${qualifier} ${n})`;
    this.used.add(header);
    return header;
  }
}

const both = (translate: Translate, key: string, params?: (locale: Locale) => Record<string, unknown>): LocalizedText =>
  Object.fromEntries(LOCALES.map((locale) => [locale, translate(locale, key, params?.(locale))])) as LocalizedText;

const hasOther = (question: Question) => 'other' in question && question.other === true;

/** The answers a choice question can hold, coded 1…n in the order they are listed, "other" last. */
export function answerCodes(question: Question, bureau: Pick<Bureau, 'districts'>, translate: Translate): ValueLabel[] {
  const otherLabel = both(translate, 'exports.other.label');
  const listed: Array<{ id: string; label: LocalizedText }> =
    question.type === 'district' ? bureau.districts.map((d) => ({ id: d.id, label: d.name }))
    : 'options' in question ? question.options
    : [];
  const all = hasOther(question) ? [...listed, { id: OTHER_OPTION_ID, label: otherLabel }] : listed;
  return all.map((answer, index) => ({ code: index + 1, id: answer.id, label: answer.label }));
}

export class ExportLayout {
  readonly variables: CodeVariable[] = [];
  private readonly questionLabels = new Map<string, Map<string, LocalizedText>>();

  constructor(
    readonly questions: readonly Question[],
    readonly bureau: Pick<Bureau, 'districts'>,
    private readonly translate: Translate,
  ) {
    const names = new VariableNames();
    const channelCodes: ValueLabel[] = CHANNELS.map((c, i) => ({ code: i + 1, id: c, label: both(translate, `channelName.${c}`) }));
    this.variables.push(
      { name: names.take('day'), label: both(translate, 'exports.day'), kind: 'meta', questionId: null, type: 'string', width: 10, values: [], code: (r) => r.day },
      { name: names.take('channel'), label: both(translate, 'exports.channel'), kind: 'meta', questionId: null, type: 'numeric', width: 0, values: channelCodes, code: (r) => channelCodes.find((c) => c.id === r.channel)?.code ?? null },
      { name: names.take('language'), label: both(translate, 'exports.language'), kind: 'meta', questionId: null, type: 'string', width: 5, values: [], code: (r) => r.locale },
    );
    for (const question of questions) {
      const answer = (r: ExportedResponse) => r.answers[question.id];
      const codes = answerCodes(question, bureau, translate);
      this.questionLabels.set(question.id, new Map(codes.map((c) => [c.id, c.label])));
      const codeOf = (id: unknown) => codes.find((c) => c.id === id)?.code ?? null;
      const base = { label: question.title, kind: question.type, questionId: question.id } as const;
      switch (question.type) {
        case 'multiple': {
          const flags: ValueLabel[] = [
            { code: 0, id: '0', label: both(translate, 'exports.notChosen') },
            { code: 1, id: '1', label: both(translate, 'exports.chosen') },
          ];
          for (const option of codes) {
            this.variables.push({
              ...base,
              name: names.take(`${question.id}_${option.id}`),
              label: Object.fromEntries(LOCALES.map((l) => [l, `${question.title[l]}: ${option.label[l]}`])) as LocalizedText,
              type: 'numeric', width: 0, values: flags,
              code: (r) => (Array.isArray(answer(r)) ? ((answer(r) as string[]).includes(option.id) ? 1 : 0) : null),
            });
          }
          break;
        }
        case 'ranking':
          for (let rank = 1; rank <= question.rankCount; rank += 1) {
            this.variables.push({
              ...base,
              name: names.take(`${question.id}_rank${rank}`),
              label: both(translate, 'exports.rank', (l) => ({ title: question.title[l], rank })),
              type: 'numeric', width: 0, values: codes,
              code: (r) => (Array.isArray(answer(r)) ? codeOf((answer(r) as string[])[rank - 1]) : null),
            });
          }
          break;
        case 'rating':
          this.variables.push({
            ...base, name: names.take(question.id), type: 'numeric', width: 0,
            // Only the ends of the scale carry words; the points between are numbers.
            values: [{ code: 1, id: '1', label: question.lowLabel }, { code: question.scale, id: String(question.scale), label: question.highLabel }],
            scale: { low: question.lowLabel, high: question.highLabel },
            code: (r) => (typeof answer(r) === 'number' ? (answer(r) as number) : null),
          });
          break;
        case 'yes-no': {
          const values: ValueLabel[] = [{ code: 1, id: 'yes', label: both(translate, 'survey.yes') }, { code: 0, id: 'no', label: both(translate, 'survey.no') }];
          this.questionLabels.set(question.id, new Map(values.map((v) => [v.id, v.label])));
          this.variables.push({ ...base, name: names.take(question.id), type: 'numeric', width: 0, values, code: (r) => (answer(r) === 'yes' ? 1 : answer(r) === 'no' ? 0 : null) });
          break;
        }
        case 'text':
          this.variables.push({ ...base, name: names.take(question.id), type: 'string', width: Math.min(32767, Math.max(1, question.maxLength * 3)), values: [], code: (r) => (typeof answer(r) === 'string' ? (answer(r) as string) : null) });
          break;
        default:
          this.variables.push({ ...base, name: names.take(question.id), type: 'numeric', width: 0, values: codes, code: (r) => codeOf(answer(r)) });
      }
      if (hasOther(question)) {
        this.variables.push({
          name: names.take(`${question.id}_other_text`),
          label: both(translate, 'exports.otherText', (l) => ({ title: question.title[l] })),
          kind: 'other', questionId: question.id, type: 'string', width: OTHER_TEXT_MAX_LENGTH * 3, values: [],
          code: (r) => r.otherText?.[question.id] ?? null,
        });
      }
    }
  }

  /** The label of a stored answer in a language (an id the survey no longer lists reads as itself). */
  answerLabel(question: Question, id: string, locale: Locale): string {
    return this.questionLabels.get(question.id)?.get(id)?.[locale] ?? id;
  }

  /**
   * The labelled table: one column per question (multiple choice lists the chosen answers in one cell, a
   * ranking has a column per rank), headers in the language, each header once.
   */
  labelColumns(locale: Locale): LabelColumn[] {
    const headers = new Headers();
    const t = (key: string, params?: Record<string, unknown>) => this.translate(locale, key, params);
    const columns: LabelColumn[] = [
      { header: headers.take(t('exports.day'), 'day'), value: (r) => r.day },
      { header: headers.take(t('exports.channel'), 'channel'), value: (r) => t(`channelName.${r.channel}`) },
      { header: headers.take(t('exports.language'), 'language'), value: (r) => r.locale },
    ];
    for (const question of this.questions) {
      const answer = (r: ExportedResponse) => r.answers[question.id];
      const title = question.title[locale] || question.title['zh-CN'];
      if (question.type === 'ranking') {
        for (let rank = 1; rank <= question.rankCount; rank += 1) {
          columns.push({ header: headers.take(t('exports.rank', { title, rank }), `${question.id} ${rank}`), value: (r) => (Array.isArray(answer(r)) && (answer(r) as string[])[rank - 1] !== undefined ? this.answerLabel(question, (answer(r) as string[])[rank - 1]!, locale) : null) });
        }
      } else if (question.type === 'multiple') {
        // Semicolons: commas are common inside Chinese and English labels alike.
        columns.push({ header: headers.take(title, question.id), value: (r) => (Array.isArray(answer(r)) ? (answer(r) as string[]).map((id) => this.answerLabel(question, id, locale)).join('; ') : null) });
      } else if (question.type === 'rating') {
        columns.push({ header: headers.take(title, question.id), value: (r) => (typeof answer(r) === 'number' ? (answer(r) as number) : null) });
      } else if (question.type === 'text') {
        columns.push({ header: headers.take(title, question.id), value: (r) => (typeof answer(r) === 'string' ? (answer(r) as string) : null) });
      } else {
        columns.push({ header: headers.take(title, question.id), value: (r) => (answer(r) === undefined ? null : this.answerLabel(question, String(answer(r)), locale)) });
      }
      if (hasOther(question)) columns.push({ header: headers.take(t('exports.otherText', { title }), `${question.id} other`), value: (r) => r.otherText?.[question.id] ?? null });
    }
    return columns;
  }
}
