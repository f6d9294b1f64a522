/** User-facing strings in zh-CN and en, looked up by dotted key with {placeholders}; English fills any gap. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCALES, type Locale } from '../models/survey-definition.types.js';
import { projectRoot } from '../paths.js';

type Messages = { [key: string]: string | Messages };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export class I18n {
  private readonly flat: Record<Locale, Map<string, string>>;

  constructor(localesDir = path.join(projectRoot(), 'server', 'i18n', 'locales')) {
    // Each area of the product may keep its strings in `<locale>.<area>.json` beside the main `<locale>.json`.
    const files = readdirSync(localesDir).sort();
    const load = (locale: Locale) => {
      const into = new Map<string, string>();
      for (const file of files.filter((name) => name === `${locale}.json` || (name.startsWith(`${locale}.`) && name.endsWith('.json')))) {
        flatten(JSON.parse(readFileSync(path.join(localesDir, file), 'utf8')) as Messages, '', into, file);
      }
      return into;
    };
    this.flat = { 'zh-CN': load('zh-CN'), en: load('en') };
  }

  has(locale: Locale, key: string): boolean {
    return this.flat[locale].has(key);
  }

  keys(locale: Locale): string[] {
    return [...this.flat[locale].keys()];
  }

  translate(locale: Locale, key: string, params: Record<string, unknown> = {}): string {
    const template = this.flat[locale].get(key) ?? this.flat.en.get(key) ?? key;
    return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
  }

  /** Best supported locale from an Accept-Language header, or undefined. */
  fromAcceptLanguage(header: string | undefined): Locale | undefined {
    if (!header) return undefined;
    const ranked = header
      .split(',')
      .map((part) => {
        const [tag = '', ...rest] = part.trim().split(';');
        const q = rest.find((p) => p.trim().startsWith('q='));
        return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
      })
      .filter((entry) => entry.q > 0)
      .sort((a, b) => b.q - a.q);
    for (const { tag } of ranked) {
      if (tag.startsWith('zh')) return 'zh-CN';
      if (tag.startsWith('en')) return 'en';
    }
    return undefined;
  }
}

function flatten(messages: Messages, prefix: string, into: Map<string, string>, file: string): Map<string, string> {
  for (const [key, value] of Object.entries(messages)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value !== 'string') flatten(value, full, into, file);
    else if (into.has(full)) throw new Error(`Message ${full} is defined twice (again in ${file})`);
    else into.set(full, value);
  }
  return into;
}

export { LOCALES, type Locale };
