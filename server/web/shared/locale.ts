import type { RequestHandler } from 'express';
import { isLocale, type I18n, type Locale } from '../../i18n/i18n.js';

export const LOCALE_COOKIE = 'minyi_lang';

/**
 * Chooses the page language: ?lang= (remembered in a cookie), then the cookie, then Accept-Language.
 * Controllers may still apply a survey's own default when the resident expressed no preference.
 */
export function negotiateLocale(i18n: I18n, options: { secureCookies: boolean }): RequestHandler {
  return (req, res, next) => {
    const query = req.query.lang;
    let locale: Locale | undefined;
    let explicit = false;
    if (isLocale(query)) {
      locale = query;
      explicit = true;
      if (req.cookies?.[LOCALE_COOKIE] !== query) res.cookie(LOCALE_COOKIE, query, { httpOnly: true, sameSite: 'lax', secure: options.secureCookies, maxAge: 365 * 24 * 3600 * 1000, path: '/' });
    } else if (isLocale(req.cookies?.[LOCALE_COOKIE])) {
      locale = req.cookies[LOCALE_COOKIE] as Locale;
      explicit = true;
    } else {
      locale = i18n.fromAcceptLanguage(req.get('accept-language'));
      explicit = locale !== undefined;
    }
    res.locals.locale = locale ?? 'zh-CN';
    res.locals.localeExplicit = explicit;
    next();
  };
}

/** Links to the same page in each language, keeping the rest of the query string. */
export function languageLinks(originalUrl: string, current: Locale): Array<{ locale: Locale; label: string; href: string; current: boolean }> {
  const url = new URL(originalUrl, 'http://x');
  // A path like "/.//evil.example" normalises to "//evil.example", which a browser reads as another host.
  const path = `/${url.pathname.replace(/^[/\\]+/, '')}`;
  return (['zh-CN', 'en'] as const).map((locale) => {
    url.searchParams.set('lang', locale);
    return { locale, label: locale === 'zh-CN' ? '中文' : 'English', href: `${path}${url.search}`, current: locale === current };
  });
}
