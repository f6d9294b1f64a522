/**
 * An SPSS syntax file that reads the coded CSV with its variable and value labels. Written for what SPSS
 * (Unicode mode) and PSPP both accept, so R (haven, foreign) and Python (pyreadstat) get the labels from the
 * .sav either of them saves.
 */
import type { Locale } from '../../models/survey-definition.types.js';
import type { CodeVariable } from './export-layout.js';

/** An SPSS string literal: single quotes, a quote inside doubled, no line breaks (a command ends at one). */
export function spssString(text: string): string {
  return `'${text.replace(/[\r\n\t]+/g, ' ').replace(/'/g, "''")}'`;
}

/** A comment line: SPSS ends a comment at a full stop before a line end, so none may end the text. */
const comment = (text: string) => `* ${text.replace(/[\r\n]+/g, ' ').replace(/\.\s*$/, '')}.`;

/** Cut to at most `max` UTF-8 bytes without splitting a character (SPSS counts a file label in bytes). */
function fitBytes(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

export interface SpssInput {
  csvFile: string;
  variables: CodeVariable[];
  locale: Locale;
  /** Lines of the header comment: the survey, the filters, the time of export. */
  about: string[];
  fileLabel: string;
}

export function spssSyntax(input: SpssInput): string {
  const label = (v: CodeVariable) => v.label[input.locale] || v.label['zh-CN'];
  const lines: string[] = ['* Encoding: UTF-8.', ...input.about.map(comment), ''];
  lines.push(
    'GET DATA /TYPE=TXT',
    `  /FILE=${spssString(input.csvFile)}`,
    "  /ENCODING='UTF8'",
    '  /ARRANGEMENT=DELIMITED',
    '  /DELCASE=LINE',
    '  /FIRSTCASE=2',
    "  /DELIMITERS=','",
    `  /QUALIFIER='"'`,
    '  /VARIABLES=',
    ...input.variables.map((v) => `    ${v.name} ${v.type === 'string' ? `A${v.width}` : 'F8.0'}`),
    '.',
    '',
    'VARIABLE LABELS',
    ...input.variables.map((v, i) => `  ${v.name} ${spssString(label(v))}${i === input.variables.length - 1 ? '.' : ''}`),
    '',
  );
  const labelled = input.variables.filter((v) => v.values.length > 0);
  if (labelled.length > 0) {
    lines.push('VALUE LABELS');
    labelled.forEach((v, i) => {
      lines.push(`  ${i === 0 ? '' : '/'}${v.name}`, ...v.values.map((value) => `    ${value.code} ${spssString(value.label[input.locale] || value.label['zh-CN'])}`));
      if (i === labelled.length - 1) lines.push('.');
    });
    lines.push('');
  }
  // Levels of measurement, so tables and charts treat codes as categories and ratings as ordered.
  const nominal = input.variables.filter((v) => v.type === 'numeric' && v.kind !== 'rating');
  const ordinal = input.variables.filter((v) => v.kind === 'rating');
  if (nominal.length > 0) lines.push(`VARIABLE LEVEL ${nominal.map((v) => v.name).join(' ')} (NOMINAL).`);
  if (ordinal.length > 0) lines.push(`VARIABLE LEVEL ${ordinal.map((v) => v.name).join(' ')} (ORDINAL).`);
  // An empty cell is an unanswered (or hidden) question: numeric ones read as system-missing already.
  lines.push(`FILE LABEL ${spssString(fitBytes(input.fileLabel, 60))}.`, 'EXECUTE.', '');
  return lines.join('\r\n');
}
