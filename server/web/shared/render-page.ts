import type { Response } from 'express';
import type { Locale } from '../../i18n/i18n.js';
import { languageLinks } from './locale.js';
import type { ViewRenderer } from './view-renderer.js';

export interface PageOptions {
  status?: number;
  layout?: string | false;
  /** Overrides the negotiated locale (e.g. a survey's default language). */
  locale?: Locale;
}

/** Renders a page with the fields every layout needs: locale, language links, request id. */
export function renderPage(views: ViewRenderer, res: Response, page: string, model: Record<string, unknown>, options: PageOptions = {}): void {
  const locale = options.locale ?? (res.locals.locale as Locale);
  const html = views.render(
    page,
    {
      ...model,
      locale,
      // A page may bring its own (the survey form's are buttons that keep the answers).
      languageLinks: model.languageLinks ?? languageLinks(res.req.originalUrl, locale),
      requestId: res.locals.requestId,
    },
    options.layout ?? 'main',
  );
  res.status(options.status ?? 200).type('html').send(html);
}
