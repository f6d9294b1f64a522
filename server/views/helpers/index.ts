/** The one place Handlebars helpers are registered. */
import type Handlebars from 'handlebars';
import type { I18n } from '../../i18n/i18n.js';
import { concat } from './concat.js';
import { eq } from './eq.js';
import { pickLocale } from './pick-locale.js';
import { createTranslateHelper } from './t.js';

export function registerHelpers(handlebars: typeof Handlebars, i18n: I18n): void {
  handlebars.registerHelper('t', createTranslateHelper(i18n));
  handlebars.registerHelper('eq', eq);
  handlebars.registerHelper('concat', concat);
  handlebars.registerHelper('pickLocale', pickLocale);
}
