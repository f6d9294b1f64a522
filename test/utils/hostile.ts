/**
 * The hostile-input suite's payload pool, its fast-check arbitraries and the checks every answer must pass:
 * no 5xx, no internals in the body, no unescaped echo in HTML, nothing stored by a refused request, and the
 * security headers and cookie flags on every route.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Models } from '../../server/models/index.js';
import type { everyTypeDefinition } from '../fixtures/survey-definitions.js';
import { scaled } from './time.js';

// ---------------------------------------------------------------------------------------------------------
// Payloads, as the server should see them after decoding (encodeText makes them URL- and form-safe).

/** The 0xSobky polyglot: breaks out of every HTML, attribute, comment, style, title, textarea and script context. */
export const XSS_POLYGLOT = 'jaVasCript:/*-/*`/*\\`/*\'/*"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e';

export const XSS_PAYLOADS = [
  XSS_POLYGLOT,
  '"><img src=x onerror=alert(1)>',
  "'><svg/onload=alert(1)>",
  '<script>alert(1)</script>',
  '</textarea><img src=x onerror=alert(1)>',
  '</title><fz-tag onmouseover=fzAlert(1)>',
  '" autofocus onfocus=fzAlert(1) x="',
  "' autofocus onfocus=fzAlert(1) x='",
  '` autofocus onfocus=fzAlert(1) x=`',
  'javascript:fzAlert(1)',
  '<!--<fz-tag>-->',
  '{{constructor.constructor("fzAlert(1)")()}}',
  '${fzAlert(1)}',
  '<a href="javascript:fzAlert(1)">x</a>',
];

/** Payloads short enough for names and titles with length limits. */
export const SHORT_XSS = ['"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>", '<script>alert(1)</script>', '</textarea><img src=x onerror=alert(1)>', '" autofocus onfocus=fzAlert(1) x="'];

/** Substrings that can only be in an HTML answer if a payload was echoed without escaping. */
export const UNESCAPED_MARKERS: Array<string | RegExp> = [
  '<sVg/oNloAd',
  '</scRipt/--!>',
  '</teXtarEa/',
  '<img src=x onerror',
  '<svg/onload',
  '<script>alert',
  '<fz-tag',
  '" autofocus onfocus=fzAlert',
  "' autofocus onfocus=fzAlert",
  '` autofocus onfocus=fzAlert',
  /\b(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*javascript:/i,
];

export const CSV_FORMULAS = ["=cmd|' /C calc'!A0", '+SUM(1,1)', '@HYPERLINK("//x.cn")', '-2+3', '=1+1', '=HYPERLINK("http://x")', '+86-10', '@SUM(A1)', '-A1'];

export const UNICODE_ODDITIES = [
  '\u202Efdp.exe',
  'a\u200Bb\u200Cc\u200Dd\u2060e\uFEFF',
  '😀👨‍👩‍👧‍👦🇨🇳',
  '𠮷野家 𠀋𡈽',
  'e\u0301\u0308\u0323 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  'مرحبا שלום \u061C\u200F',
  '\u0000\u0001\u001F\u007F',
  '\u0085\u2028\u2029',
  'ｆｕｌｌｗｉｄｔｈ＝１＋１',
  '\uFFFD\uFFFE\uFFFF',
  '\uD800',
  'x\uDFFFy',
];

export const OPERATORS = ['$ne', '$gt', '$gte', '$lt', '$where', '$regex', '$expr', '$function', '$in', '$nin', '$or', '$exists', '$set', '$lookup'];
export const OPERATOR_VALUES = ['{"$gt":""}', '{"$ne":null}', '{"$where":"sleep(1000)"}', '{"$regex":".*"}', '[{"$gt":""}]'];
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', '__proto__[admin]', 'constructor[prototype][admin]', '__proto__.admin', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'];

/** Already-encoded fragments that do not decode to UTF-8, or not at all. */
export const BROKEN_ENCODINGS = ['%E0%A4%A', '%FF', '%', '%%', '%zz', '%C0%AF', '%ED%A0%80', '%F0%9F%98', '%2', '%u202E', '%FE%FF', '%C3%28', '%E2%82', '%00', '%F4%90%80%80'];

export const ALL_TEXT_PAYLOADS = [...XSS_PAYLOADS, ...CSV_FORMULAS, ...UNICODE_ODDITIES, ...OPERATOR_VALUES, ...PROTO_KEYS];

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** Percent-encodes text for a URL or form; a lone surrogate becomes its (invalid) WTF-8 bytes. */
export function encodeText(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

/** False for text with a lone surrogate, which has no UTF-8 form. */
export const isWellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

/** Decodes what decodes, leaves the rest: to know which texts a request carried. */
export function lenientDecode(raw: string): string {
  return raw.replace(/\+/g, ' ').replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
// Without bias: fast-check would otherwise favour the first entries of each list.
const pool = fc.noBias(fc.constantFrom(...ALL_TEXT_PAYLOADS));
const broken = fc.noBias(fc.constantFrom(...BROKEN_ENCODINGS));

/** Random markup with a marker the checks look for: it must never come back unescaped. */
const markedTag = fc.string({ unit: 'grapheme-ascii', maxLength: 8 }).map((s) => `<fz-tag title="${s}" onmouseover=fzAlert(1)>`);

/** A hostile text, decoded: hand-picked payloads, arbitrary Unicode, graphemes, and mixtures of both. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: pool },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 15 }) },
  { weight: 1, arbitrary: markedTag },
  { weight: 1, arbitrary: fc.array(fc.oneof(pool, loneSurrogate, fc.string({ unit: 'binary', maxLength: 5 })), { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')) },
);

/** A value as it goes on the wire: encoded hostile text, broken percent-encoding, or both. */
export const rawValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: hostileText.map(encodeText) },
  { weight: 2, arbitrary: broken },
  { weight: 1, arbitrary: fc.tuple(hostileText, broken, hostileText).map(([a, b, c]) => `${encodeText(a)}${b}${encodeText(c)}`) },
  { weight: 1, arbitrary: fc.constant('') },
);

/** A field or parameter name as it goes on the wire: known names, with operators, brackets, prototypes, deep nesting. */
export function rawKey(known: readonly string[]): fc.Arbitrary<string> {
  const name = known.length > 0 ? fc.noBias(fc.constantFrom(...known)) : fc.constant('a');
  const op = fc.noBias(fc.constantFrom(...OPERATORS));
  return fc.oneof(
    { weight: 3, arbitrary: name.map(encodeText) },
    { weight: 2, arbitrary: fc.tuple(name, op).map(([n, o]) => `${encodeText(n)}[${o}]`) },
    { weight: 1, arbitrary: name.map((n) => `${encodeText(n)}[]`) },
    { weight: 1, arbitrary: op },
    { weight: 1, arbitrary: fc.tuple(name, op).map(([n, o]) => `${encodeText(n)}.${o}`) },
    { weight: 1, arbitrary: op.map((o) => `answers.${o}`) },
    { weight: 2, arbitrary: fc.noBias(fc.constantFrom(...PROTO_KEYS)) },
    { weight: 1, arbitrary: fc.tuple(name, fc.integer({ min: 2, max: 60 })).map(([n, depth]) => `${encodeText(n)}${Array.from({ length: depth }, (_, i) => `[${String.fromCharCode(97 + (i % 26))}]`).join('')}`) },
    { weight: 1, arbitrary: hostileText.map(encodeText) },
    { weight: 1, arbitrary: broken },
  );
}

/**
 * Values of the results filters (answer=<question>:<value>, dates, districts, channels), valid in shape with
 * hostile contents, so the filter code gets past its first checks.
 */
export function filterValue(questionIds: readonly string[]): fc.Arbitrary<string> {
  const numberLike = fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10', '1.5', '99999999999999999999', ' 3', '3 ', '{"$gt":0}', '[1]');
  return fc.oneof(
    fc.tuple(fc.noBias(fc.constantFrom(...questionIds, '__proto__', 'constructor', '$where')), fc.oneof(hostileText, numberLike)).map(([q, v]) => encodeText(`${q}:${v}`)),
    fc.constantFrom('2024-02-30', '0000-00-00', '9999-99-99', '2024-13-45', '1970-01-01', '275760-09-13', 'wuxing', 'other', 'web', 'sms', 'constructor').map(encodeText),
  );
}

/** A results filter in the URL (from, to, district, channel, answer, rows, cols, search, page) with hostile values. */
export function hostileFilters(questionIds: readonly string[]): fc.Arbitrary<string> {
  const value = fc.oneof(filterValue(questionIds), rawValue, fc.constantFrom(...questionIds));
  const numberLike = fc.constantFrom('NaN', 'abc', 'Infinity', '1e309', '-0', '0x10', '1.5', ' 3', '{"$gt":0}', '', '3');
  const answer = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.noBias(fc.constantFrom(...questionIds)), fc.oneof(numberLike, hostileText, fc.constantFrom('other', 'yes', 'no', 'wuxing'))).map(([q, v]) => encodeText(`${q}:${v}`)) },
    { weight: 1, arbitrary: value },
  );
  const names = ['from', 'to', 'district', 'channel', 'answer', 'rows', 'cols', 'search', 'page'] as const;
  // Mostly one value per name; sometimes two, which the parser hands over as an array.
  const one = (arb: fc.Arbitrary<string>) => fc.oneof({ weight: 4, arbitrary: arb.map((v) => [v]) }, { weight: 1, arbitrary: fc.array(arb, { minLength: 2, maxLength: 2 }) });
  const arbitraries = Object.fromEntries(names.map((name) => [name, name === 'answer' ? answer.map((v) => [v]) : one(value)]));
  return fc
    .record(arbitraries as Record<(typeof names)[number], fc.Arbitrary<string[]>>, { requiredKeys: ['answer'] })
    .map((filter) => Object.entries(filter).flatMap(([name, values]) => (values as string[]).map((v) => `${name}=${v}`)).join('&'));
}

/** Hand-picked results filters: operators, prototypes, arrays, and values of the wrong type for their question. */
export const FILTER_PAYLOADS = [
  'answer=victim:{"$ne":null}', 'answer[$ne]=x', 'district[$ne]=x', 'district={"$gt":""}', 'from[$gt]=', 'channel[$in][]=web', 'answer=__proto__:x', 'answer=constructor:prototype',
  'answer=victim:{"$gt":""}', 'answer=safety:abc', 'answer=safety:Infinity', 'answer=safety:1e309', 'answer=concerns:$where', 'from=2024-02-30&to=0000-00-00', 'answer=victim:yes&answer=victim:no', `search=${encodeText('<img src=x onerror=alert(1)>')}`,
];

/** A query string (without "?") of hostile pairs; known names repeat, so scalars arrive as arrays too. */
export function hostileQuery(known: readonly string[], values?: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const value = values ? fc.oneof({ weight: 3, arbitrary: rawValue }, { weight: 2, arbitrary: values }) : rawValue;
  return fc
    .array(fc.tuple(rawKey(known), value, fc.boolean()), { minLength: 1, maxLength: 6 })
    .map((pairs) => pairs.map(([key, value, bare]) => (bare && value === '' ? key : `${key}=${value}`)).join('&'));
}

/** A hostile path segment (already encoded). */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileText.map(encodeText) },
  { weight: 2, arbitrary: broken },
  { weight: 1, arbitrary: fc.constantFrom(...OPERATORS, ...PROTO_KEYS.map(encodeText), '%24ne', 'a%2Fb', '%2e%2e', '..%2F..%2Fetc%2Fpasswd') },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => 'a'.repeat(n)) },
).filter((s) => s !== '' && s !== '.' && s !== '..');

export type Fields = Array<[string, string]>;

/**
 * A form body built from a valid one: some values replaced by hostile ones, fields repeated or sent as
 * arrays, and extra $-operator, prototype, nested and random fields. `keep` names fields never touched (tokens).
 */
export function hostileForm(base: Fields, options: { keep?: readonly string[]; names?: readonly string[] } = {}): fc.Arbitrary<string> {
  const keep = new Set(options.keep ?? []);
  const names = [...new Set([...base.map(([name]) => name).filter((name) => !keep.has(name)), ...(options.names ?? [])])];
  const mutable = base.map((field, index) => ({ field, index })).filter(({ field }) => !keep.has(field[0])).map(({ index }) => index);
  const indexArb = mutable.length > 0 ? fc.noBias(fc.constantFrom(...mutable)) : fc.constant(-1);
  return fc
    .record({
      replace: fc.array(fc.tuple(indexArb, rawValue), { maxLength: 4 }),
      repeat: fc.array(fc.tuple(indexArb, rawValue), { maxLength: 2 }),
      arrayify: fc.array(indexArb, { maxLength: 1 }),
      extra: fc.array(fc.tuple(rawKey(names), rawValue), { maxLength: 3 }),
    })
    .map(({ replace, repeat, arrayify, extra }) => {
      const fields = base.map(([name, value]) => [encodeText(name), encodeText(value)] as [string, string]);
      for (const [i, value] of replace) if (fields[i]) fields[i]![1] = value;
      for (const i of arrayify) if (fields[i]) fields[i]![0] = `${fields[i]![0]}[]`;
      for (const [i, value] of repeat) if (fields[i]) fields.push([fields[i]![0], value]);
      fields.push(...extra);
      return fields.map(([name, value]) => `${name}=${value}`).join('&');
    });
}

/** Bodies no form of ours sends: JSON with operators, deep nesting, wrong types and charsets, oversize. */
export function oddBodies(formLimit: number, parameterLimit: number): Array<{ name: string; type: string; body: string }> {
  const deepJson = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
  return [
    { name: 'JSON with operators', type: 'application/json', body: '{"victim":{"$ne":1},"$where":"sleep(1000)","district":{"$gt":""}}' },
    { name: 'JSON prototype pollution', type: 'application/json', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}' },
    { name: 'deeply nested JSON', type: 'application/json', body: deepJson },
    { name: 'deeply nested array JSON', type: 'application/json', body: `${'['.repeat(20000)}${']'.repeat(20000)}` },
    { name: 'malformed JSON', type: 'application/json', body: '{"a":' },
    { name: 'text/plain', type: 'text/plain', body: 'victim=yes' },
    { name: 'multipart', type: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="victim"\r\n\r\nyes\r\n--x--\r\n' },
    { name: 'koi8-r charset', type: 'application/x-www-form-urlencoded; charset=koi8-r', body: 'victim=yes' },
    { name: 'latin1 charset', type: 'application/x-www-form-urlencoded; charset=iso-8859-1', body: 'victim=%FF' },
    { name: 'hostile charset', type: 'application/x-www-form-urlencoded; charset="<img src=x onerror=alert(1)>"', body: 'victim=yes' },
    { name: 'body over the limit', type: 'application/x-www-form-urlencoded', body: `advice=${'x'.repeat(formLimit + 1024)}` },
    { name: 'one huge field over the limit', type: 'application/x-www-form-urlencoded', body: `${'x'.repeat(formLimit + 10)}=1` },
    { name: 'too many fields', type: 'application/x-www-form-urlencoded', body: Array.from({ length: parameterLimit + 10 }, (_, i) => `f${i}=1`).join('&') },
    { name: 'deeply nested form field', type: 'application/x-www-form-urlencoded', body: `a${'[b]'.repeat(2000)}=1` },
    { name: 'array-valued fields', type: 'application/x-www-form-urlencoded', body: 'victim[]=yes&victim[]=no&victim[0]=x&victim[1][2]=y' },
    { name: 'nothing but separators', type: 'application/x-www-form-urlencoded', body: '&&&===&=&' },
    { name: 'broken percent-encoding everywhere', type: 'application/x-www-form-urlencoded', body: BROKEN_ENCODINGS.map((b, i) => `${b}${i}=${b}`).join('&') },
  ];
}

/** Request headers a browser would not send: odd Accept, Accept-Language and (resident only) cookies. Latin-1 only, as HTTP allows. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 60 });
export const hostileHeaders = fc.record(
  {
    Accept: fc.oneof(fc.constantFrom('text/html', 'application/json', '*/*', 'text/plain', 'image/png', 'text/html;q=0, application/json;q=0'), headerText),
    'Accept-Language': fc.oneof(fc.constantFrom('en', 'zh-CN', 'xx;q=abc', 'zh;q=-1, en;q=NaN', '*;q=1e999'), headerText),
  },
  { requiredKeys: [] },
);
export const hostileCookie = fc.oneof(
  fc.constantFrom(
    'minyi_lang=<img src=x onerror=alert(1)>',
    'minyi_lang=__proto__; minyi_csrf=$ne',
    'minyi_csrf=%E0%A4%A; minyi_lang=%FF',
    'minyi_sid=s%3Aforged.sig; minyi_csrf=AAAAAAAAAAAAAAAAAAAAAA',
    'j=j:{"__proto__":{"admin":true}}; minyi_lang=j:{"$ne":1}',
    '__proto__=1; constructor=2',
    'minyi_staff_csrf=AAAAAAAAAAAAAAAAAAAAAA; minyi_device=v1.00000000000000000000000000000000.0000000000000000.forged',
    'minyi_device=j:{"$ne":1}; minyi_staff_csrf=$ne',
  ),
  headerText.map((s) => `minyi_lang=${s.replace(/;/g, '')}`),
);

// ---------------------------------------------------------------------------------------------------------
// Checks

export interface Answer {
  status: number;
  text?: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface Sent {
  method: string;
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

const LEAK_MARKERS = ['    at ', '.ts:', 'Mongo', 'node_modules', process.cwd()];

export const describeSent = (sent: Sent) => `${sent.method.toUpperCase()} ${sent.url.slice(0, 300)}${sent.body !== undefined ? ` body=${JSON.stringify(sent.body.slice(0, 300))}${sent.body.length > 300 ? `…(${sent.body.length} chars)` : ''}` : ''}${sent.headers ? ` headers=${JSON.stringify(sent.headers)}` : ''}`;

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

function cspDirectives(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  return directives;
}

/** Every cookie name a check has seen, with whether its flags were right. */
export const seenCookies = new Map<string, boolean>();

/** The security headers and cookie flags of one answer; returns what is wrong. */
export function headerProblems(path: string, answer: Answer): string[] {
  const problems: string[] = [];
  const csp = headerValue(answer.headers['content-security-policy']);
  if (!csp) problems.push('no Content-Security-Policy');
  else {
    const d = cspDirectives(csp);
    const script = d.get('script-src');
    if (!script) problems.push(`CSP without script-src: ${csp}`);
    else if (!script.includes("'self'") || script.some((v) => v === "'unsafe-inline'" || v === "'unsafe-eval'" || v === '*' || v === 'data:')) problems.push(`CSP script-src is not strict: ${script.join(' ')}`);
    if (d.get('object-src')?.join(' ') !== "'none'") problems.push(`CSP object-src is not 'none': ${csp}`);
    if (d.get('base-uri')?.join(' ') !== "'none'") problems.push(`CSP base-uri is not 'none': ${csp}`);
    const frame = d.get('frame-ancestors')?.join(' ');
    const embed = /^\/embed\//.test(path);
    // The builder shows the staff preview in a frame of its own page: that page, and only it, may be framed by Minyi itself.
    const preview = /^\/staff\/b\/[^/]+\/surveys\/[^/]+\/preview$/.test(path) && answer.status === 200;
    if (preview ? frame !== "'self'" : embed && answer.status === 200 ? frame !== '*' : frame !== "'none'" && !(embed && frame === '*')) problems.push(`CSP frame-ancestors is ${frame ?? 'missing'} on ${path} (${answer.status})`);
  }
  if (headerValue(answer.headers['x-content-type-options']) !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  if (answer.headers['x-powered-by'] !== undefined) problems.push(`X-Powered-By: ${headerValue(answer.headers['x-powered-by'])}`);
  const cookies = answer.headers['set-cookie'];
  for (const cookie of Array.isArray(cookies) ? cookies : cookies ? [cookies] : []) {
    const name = cookie.split('=')[0]!.trim();
    const ok = /;\s*HttpOnly(;|$)/i.test(cookie) && /;\s*SameSite=Lax(;|$)/i.test(cookie);
    seenCookies.set(name.startsWith('mv_') ? 'mv_*' : name, (seenCookies.get(name.startsWith('mv_') ? 'mv_*' : name) ?? true) && ok);
    if (!ok) problems.push(`cookie without HttpOnly and SameSite=Lax: ${cookie}`);
  }
  return problems;
}

/** Status, internals, escaping and headers of one answer; returns what is wrong. */
export function answerProblems(sent: Sent, answer: Answer): string[] {
  const problems: string[] = [];
  const text = answer.text ?? '';
  if (answer.status >= 500) problems.push(`status ${answer.status}`);
  // A marker the request itself carried may come back escaped-but-recognisable only in non-HTML answers; skip those.
  const carried = lenientDecode(`${sent.url}\n${sent.body ?? ''}\n${JSON.stringify(sent.headers ?? {})}`);
  for (const marker of LEAK_MARKERS) if (text.includes(marker) && !carried.includes(marker)) problems.push(`internal detail ${JSON.stringify(marker)} in the body: …${text.slice(Math.max(0, text.indexOf(marker) - 80), text.indexOf(marker) + 80)}…`);
  const type = headerValue(answer.headers['content-type']) ?? '';
  if (/text\/html|image\/svg|application\/xhtml|text\/xml/i.test(type)) {
    for (const marker of UNESCAPED_MARKERS) {
      const at = typeof marker === 'string' ? text.indexOf(marker) : text.search(marker);
      if (at >= 0) problems.push(`unescaped ${String(marker)} in ${type}: …${text.slice(Math.max(0, at - 120), at + 80)}…`);
    }
  }
  const path = new URL(sent.url, 'http://x').pathname;
  problems.push(...headerProblems(path, answer));
  return problems;
}

export function expectSafeAnswer(sent: Sent, answer: Answer): void {
  const problems = answerProblems(sent, answer);
  if (problems.length > 0) expect.fail(`${describeSent(sent)} → ${answer.status}\n  ${problems.join('\n  ')}`);
}

/**
 * Counts the stored records, so a refused request (status >= 400) can be shown to have stored nothing. The
 * counts are refreshed after every request, as an accepted one may store.
 */
export class StoreWatch {
  private last: Record<string, number> = {};

  constructor(private readonly models: Models) {}

  async count(): Promise<Record<string, number>> {
    const { Response, Survey, User, Bureau, ApiToken, InvitationCode } = this.models;
    const entries = Object.entries({ Response, Survey, User, Bureau, ApiToken, InvitationCode });
    // The count without a filter comes from collection metadata: cheap enough to run after every request.
    const counts = await Promise.all(entries.map(([, model]) => (model as Models['Survey']).estimatedDocumentCount()));
    return Object.fromEntries(entries.map(([name], i) => [name, counts[i]!]));
  }

  async reset(): Promise<void> {
    this.last = await this.count();
  }

  /** After a request: a refused one must have left every count as it was. */
  async check(sent: Sent, status: number): Promise<string[]> {
    const now = await this.count();
    const problems = status >= 400 ? Object.keys(now).filter((name) => now[name] !== this.last[name]).map((name) => `${name} count ${this.last[name]} → ${now[name]} after a refused request (${status})`) : [];
    this.last = now;
    return problems.length > 0 ? [`${describeSent(sent)}: ${problems.join('; ')}`] : [];
  }
}

/** Sends one request and applies every check; the answer is returned for further checks. */
export const statusTally = new Map<string, number>();

export async function probe<T extends Answer>(watch: StoreWatch | null, sent: Sent, send: () => PromiseLike<T>): Promise<T> {
  let answer: T;
  try {
    answer = await send();
  } catch (error) {
    // The server cut the answer off (e.g. a stream that failed after its headers were sent).
    if (watch) await watch.reset();
    return expect.fail(`${describeSent(sent)} → no complete answer: ${(error as Error).message}`);
  }
  const key = `${sent.method.toUpperCase()} ${new URL(sent.url, 'http://x').pathname.replace(/\/(thanks|s|b)\/[^/]+/g, '/$1/*').slice(0, 40)} ${answer.status}`;
  statusTally.set(key, (statusTally.get(key) ?? 0) + 1);
  const problems = answerProblems(sent, answer);
  if (watch) problems.push(...(await watch.check(sent, answer.status)));
  if (problems.length > 0) expect.fail(`${describeSent(sent)} → ${answer.status}\n  ${problems.join('\n  ')}`);
  return answer;
}

// ---------------------------------------------------------------------------------------------------------
// Reading our own routes and forms back

export interface RouteEntry {
  method: string;
  path: string;
}

/** Every route of the staff router, read from the app itself (as tenancy.test.ts does), so a new route cannot escape. */
export function staffRoutes(app: unknown): RouteEntry[] {
  const stack = (app as { router: { stack: Array<{ name: string; handle: { stack?: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }> } }).router.stack;
  const staff = stack.find((layer) => layer.name === 'router' && layer.handle.stack?.some((l) => l.route?.path === '/login'));
  return (staff?.handle.stack ?? []).flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((method) => ({ method, path: `/staff${layer.route!.path}` })) : []));
}

/* Forms, read back to build valid bodies to start from. */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#x60': '`', '#x3D': '=', '#x3d': '=' };
export const unescapeHtml = (text: string) =>
  text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) => ENTITIES[entity] ?? (entity.startsWith('#x') ? String.fromCodePoint(parseInt(entity.slice(2), 16)) : entity.startsWith('#') ? String.fromCodePoint(Number(entity.slice(1))) : whole));

const attribute = (attrs: string, name: string) => {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attrs);
  return match ? unescapeHtml(match[1]!) : undefined;
};

/** Lets the every-type survey's free-text question take the longest payloads (400 characters). */
export function roomForPayloads(definition: ReturnType<typeof everyTypeDefinition>): void {
  const advice = definition.questions.find((q) => q.id === 'advice');
  if (advice && advice.type === 'text') advice.maxLength = 400;
}

/** The builder form of a test-bureau survey as a manager's browser would send it, without its CSRF field. */
export async function builderFields(manager: { get(url: string): { expect(status: number): PromiseLike<{ text: string }> } }, survey: string): Promise<Fields> {
  const url = `/staff/b/test-bureau/surveys/${survey}/edit`;
  const edit = await manager.get(url).expect(200);
  return formFields(edit.text, url).filter(([name]) => name !== '_csrf');
}

/** The fields a browser would send from the form posting to `action` (no submit buttons, checked boxes only). */
export function formFields(html: string, action: string): Fields {
  for (const [, attrs, inner] of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    if (attribute(attrs!, 'action') !== action) continue;
    const fields: Fields = [];
    for (const [, tag, a, content] of inner!.matchAll(/<(input|textarea|select)\b([^>]*)>(?:([\s\S]*?)<\/\1>)?/g)) {
      const name = attribute(a!, 'name');
      if (!name) continue;
      if (tag === 'input') {
        const type = attribute(a!, 'type') ?? 'text';
        if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
        if ((type === 'checkbox' || type === 'radio') && !/\bchecked\b/.test(a!)) continue;
        fields.push([name, attribute(a!, 'value') ?? (type === 'checkbox' ? 'on' : '')]);
      } else if (tag === 'textarea') {
        fields.push([name, unescapeHtml((content ?? '').replace(/^\n/, ''))]);
      } else {
        const options = [...(content ?? '').matchAll(/<option\b([^>]*)>/g)].map(([, o]) => ({ value: attribute(o!, 'value') ?? '', selected: /\bselected\b/.test(o!) }));
        const chosen = options.find((o) => o.selected) ?? options[0];
        if (chosen) fields.push([name, chosen.value]);
      }
    }
    return fields;
  }
  return [];
}

/** Reads a CSV export back (quotes, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += c;
  }
  return rows;
}

/**
 * fast-check settings for this suite. Every property runs its full number of inputs, however slow the machine:
 * no time limit quietly runs fewer (a per-test timeout, scaled by MINYI_TEST_TIME_FACTOR, catches a hang).
 * One seed per test file, printed with the first property; MINYI_FUZZ_SEED=<seed> replays that run's inputs,
 * and a failure also prints fast-check's seed and path of the smallest failing input.
 * MINYI_FUZZ_FACTOR=10 runs ten times as many inputs for a deeper local hunt; FUZZ_STATS=1 makes the
 * resident and staff files print how many answers of each status each route gave.
 */
function fuzzSetting(name: string, parse: (value: number) => boolean): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!parse(value)) throw new Error(`${name} must be ${name.endsWith('SEED') ? 'a whole number' : 'a number of at least 1'}, not ${JSON.stringify(raw)}`);
  return value;
}

const FUZZ_FACTOR = fuzzSetting('MINYI_FUZZ_FACTOR', (v) => Number.isFinite(v) && v >= 1) ?? 1;

/** This run's seed: MINYI_FUZZ_SEED, or a new one (fast-check takes a 32-bit integer). */
export const FUZZ_SEED = fuzzSetting('MINYI_FUZZ_SEED', Number.isSafeInteger) ?? Math.floor(Math.random() * 0x7fffffff);

/** Time for one test of this suite: a hang detector, generous as the embedded database is slow on a busy 2-core machine. */
export const FUZZ_TEST_TIMEOUT = scaled(180_000 * FUZZ_FACTOR);

let seedPrinted = false;

export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  if (!seedPrinted) {
    seedPrinted = true;
    console.log(`fuzz seed ${FUZZ_SEED} (replay with MINYI_FUZZ_SEED=${FUZZ_SEED}${FUZZ_FACTOR !== 1 ? ` MINYI_FUZZ_FACTOR=${FUZZ_FACTOR}` : ''})`);
  }
  return { numRuns: Math.round(numRuns * FUZZ_FACTOR), seed: FUZZ_SEED, verbose: 1 };
}
