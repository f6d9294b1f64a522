/**
 * Reads the advice box form (urlencoded, simple parser). A form we did not make (unknown fields, a field sent
 * twice) is a 400; the resident's mistakes come back as problems per field, to be shown beside it.
 */
import { BadRequestError } from '../../errors/index.js';
import type { Bureau } from '../../models/bureau.model.js';

/** As on survey pages: characters are code points, so a Chinese character or an emoji counts as one. */
export const ADVICE_TEXT_MAX = 2000;
export const CONTACT_MAX = 100;
export const COMMENT_MAX = 500;

export const ADVICE_FIELDS = ['_form', 'website', 'category', 'district', 'text', 'contact', 'contactConsent', 'publish'] as const;
type AdviceField = (typeof ADVICE_FIELDS)[number];

export interface AdviceFormValues {
  category: string;
  district: string;
  text: string;
  contact: string;
  contactConsent: boolean;
  publish: string;
}

export interface AdviceProblem {
  field: 'category' | 'district' | 'text' | 'contact' | 'publish';
  reason: 'required' | 'tooLong' | 'unknown';
  params?: Record<string, unknown>;
}

export interface ParsedAdviceForm {
  token: string | undefined;
  honeypot: string;
  values: AdviceFormValues;
}

export const codePoints = (text: string) => [...text].length;
/** Line ends as the browser sends them (CRLF) count as one character, as the page's counter shows them. */
export const cleanText = (value: string) => value.replace(/\r\n/g, '\n').trim();

export function readFields(body: unknown, allowed: readonly string[]): Record<string, string> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('Send the form as a form.');
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (!allowed.includes(name)) throw new BadRequestError(`The form contains a field that is not part of it: "${name.slice(0, 60)}".`);
    if (typeof value !== 'string') throw new BadRequestError(`The form field "${name}" was sent more than once or is malformed.`);
    fields[name] = value;
  }
  return fields;
}

export function parseAdviceForm(body: unknown): ParsedAdviceForm {
  const fields = readFields(body, ADVICE_FIELDS) as Partial<Record<AdviceField, string>>;
  return {
    token: fields._form,
    honeypot: fields.website ?? '',
    values: {
      category: cleanText(fields.category ?? ''),
      district: cleanText(fields.district ?? ''),
      text: cleanText(fields.text ?? ''),
      contact: cleanText(fields.contact ?? ''),
      contactConsent: fields.contactConsent === 'yes',
      publish: cleanText(fields.publish ?? ''),
    },
  };
}

/** What is wrong with the resident's answers, for this bureau's categories and districts. */
export function adviceProblems(values: AdviceFormValues, bureau: Pick<Bureau, 'adviceCategories' | 'districts'>): AdviceProblem[] {
  const problems: AdviceProblem[] = [];
  if (!values.category) problems.push({ field: 'category', reason: 'required' });
  else if (!bureau.adviceCategories.some((c) => c.id === values.category)) problems.push({ field: 'category', reason: 'unknown' });
  if (values.district && !bureau.districts.some((d) => d.id === values.district)) problems.push({ field: 'district', reason: 'unknown' });
  if (!values.text) problems.push({ field: 'text', reason: 'required' });
  else if (codePoints(values.text) > ADVICE_TEXT_MAX) problems.push({ field: 'text', reason: 'tooLong', params: { max: ADVICE_TEXT_MAX, over: codePoints(values.text) - ADVICE_TEXT_MAX } });
  if (codePoints(values.contact) > CONTACT_MAX) problems.push({ field: 'contact', reason: 'tooLong', params: { max: CONTACT_MAX, over: codePoints(values.contact) - CONTACT_MAX } });
  if (values.publish !== 'yes' && values.publish !== 'no') problems.push({ field: 'publish', reason: 'required' });
  return problems;
}
