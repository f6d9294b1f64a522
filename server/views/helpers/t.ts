import type { HelperOptions } from 'handlebars';
import type { I18n, Locale } from '../../i18n/i18n.js';

/** {{t "key" name=value}}: the string for the page's locale (set as `locale` on the root view-model). */
export function createTranslateHelper(i18n: I18n) {
  return function t(key: string, options: HelperOptions): string {
    const locale = (options.data?.root?.locale ?? 'zh-CN') as Locale;
    return i18n.translate(locale, key, options.hash as Record<string, unknown>);
  };
}
