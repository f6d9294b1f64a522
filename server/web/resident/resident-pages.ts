/** Shared bits of the resident pages: finding what an address names, and the facts every page shows. */
import type { Request } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { Locale } from '../../i18n/i18n.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Survey } from '../../models/survey.model.js';
import { effectiveStatus, isPublished } from '../../services/voting/survey-availability.js';
import type { PublishedSurvey, SurveyDirectory } from '../../services/voting/survey-directory.js';

const SLUG = /^[a-z0-9-]{1,60}$/;

/** What residents may know of a survey: drafts do not exist for them; an archived survey reads as closed. */
export type ResidentStatus = 'scheduled' | 'open' | 'closed';

/**
 * The bureau and survey of /b/:bureau/s/:survey once the bureau has announced it (scheduled, open, closed or
 * archived: a poster printed in advance or left on a wall still gets an answer), or a 404 that does not say
 * whether either exists.
 */
export async function findAnnouncedSurvey(directory: SurveyDirectory, req: Request, now = new Date()): Promise<PublishedSurvey & { status: ResidentStatus }> {
  const bureauSlug = String(req.params.bureau);
  const surveySlug = String(req.params.survey);
  if (!SLUG.test(bureauSlug) || !SLUG.test(surveySlug)) throw new NotFoundError();
  const found = await directory.find(bureauSlug, surveySlug);
  if (!found) throw new NotFoundError();
  const status = effectiveStatus(found.survey, now);
  if (status === 'draft') throw new NotFoundError();
  return { ...found, status: status === 'archived' ? 'closed' : status };
}

/** As findAnnouncedSurvey, for pages that exist only while residents may answer or read it (open or closed). */
export async function findPublishedSurvey(directory: SurveyDirectory, req: Request, now = new Date()): Promise<PublishedSurvey & { status: 'open' | 'closed' }> {
  const found = await findAnnouncedSurvey(directory, req, now);
  if (!isPublished(effectiveStatus(found.survey, now))) throw new NotFoundError();
  return { ...found, status: found.status as 'open' | 'closed' };
}

export function isSlug(value: unknown): value is string {
  return typeof value === 'string' && SLUG.test(value);
}

/** The page language: the resident's choice (?lang=, cookie, Accept-Language), else the survey's default. */
export function pageLocale(res: { locals: Record<string, unknown> }, fallback: Locale): Locale {
  return res.locals.localeExplicit ? (res.locals.locale as Locale) : fallback;
}

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

export function formatDate(date: Date, locale: Locale, timeZone: string): string {
  const key = `${locale}|${timeZone}`;
  let formatter = dateFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone });
    dateFormatters.set(key, formatter);
  }
  return formatter.format(date);
}

const dateTimeFormatters = new Map<string, Intl.DateTimeFormat>();

/** A moment residents plan by (a survey opens, closes): date and time, in the bureau's time zone. */
export function formatDateTime(date: Date, locale: Locale, timeZone: string): string {
  const key = `${locale}|${timeZone}`;
  let formatter = dateTimeFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone });
    dateTimeFormatters.set(key, formatter);
  }
  return formatter.format(date);
}

/** Where residents read results, when the survey's settings publish them now. */
export function publicResultsHref(bureau: Pick<Bureau, 'slug'>, survey: Pick<Survey, 'slug' | 'settings'>, status: 'open' | 'closed'): string | null {
  const policy = survey.settings.publicResults;
  const visible = policy === 'always' || (policy === 'after-close' && status === 'closed');
  return visible ? `/b/${bureau.slug}/s/${survey.slug}/results` : null;
}
