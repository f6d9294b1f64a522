import type { HelperOptions } from 'handlebars';

/** {{pickLocale title}}: the page-locale text of a { "zh-CN", "en" } object, or the other one if empty. */
export function pickLocale(text: Record<string, string> | undefined, options: HelperOptions): string {
  if (!text) return '';
  const locale = (options.data?.root?.locale ?? 'zh-CN') as string;
  return text[locale] || text['zh-CN'] || text.en || '';
}
