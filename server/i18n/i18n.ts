/** User-facing strings in zh-CN and en, looked up by dotted key with {placeholders}; English fills any gap. */
import { readFileSync } from 'node:fs';
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
    const load = (locale: Locale) => flatten(JSON.parse(readFileSync(path.join(localesDir, `${locale}.json`), 'utf8')) as Messages);
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

function flatten(messages: Messages, prefix = '', into = new Map<string, string>()): Map<string, string> {
  for (const [key, value] of Object.entries(messages)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') into.set(full, value);
    else flatten(value, full, into);
  }
  return into;
}

export { LOCALES, type Locale };
