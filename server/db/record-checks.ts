/**
 * What a record read from the database must hold to be trusted: the fields every page relies on, and the
 * values its query asked for. A record that fails is not ours to show (see DatabaseHealth).
 */
import type { Bureau } from '../models/bureau.model.js';
import { SURVEY_STATUSES as STATUSES, type Survey } from '../models/survey.model.js';
import type { User } from '../models/user.model.js';
import { checks } from './database-health.js';

const SURVEY_STATUSES = new Set<string>(STATUSES);

export function bureauProblem(bureau: Bureau, expected: { slug?: string; ids?: Set<string> } = {}): string | undefined {
  if (!bureau || typeof bureau !== 'object') return 'not a document';
  if (!checks.isObjectIdLike(bureau._id)) return 'bureau without _id';
  if (typeof bureau.slug !== 'string' || !bureau.slug) return 'bureau without slug';
  if (expected.slug !== undefined && bureau.slug !== expected.slug) return `bureau ${bureau.slug} read for ${expected.slug}`;
  if (expected.ids && !expected.ids.has(String(bureau._id))) return 'bureau not among those asked for';
  if (!checks.isLocalized(bureau.name) || typeof bureau.kind !== 'string' || typeof bureau.timezone !== 'string') return 'bureau without its name, kind or time zone';
  return undefined;
}

export function surveyProblem(survey: Survey, expected: { bureau?: unknown; slug?: string } = {}): string | undefined {
  if (!survey || typeof survey !== 'object') return 'not a document';
  if (!checks.isObjectIdLike(survey._id) || !checks.isObjectIdLike(survey.bureau)) return 'survey without _id or bureau';
  if (typeof survey.slug !== 'string' || !survey.slug) return 'survey without slug';
  if (expected.slug !== undefined && survey.slug !== expected.slug) return `survey ${survey.slug} read for ${expected.slug}`;
  if (expected.bureau !== undefined && String(survey.bureau) !== String(expected.bureau)) return 'survey of another bureau';
  if (!SURVEY_STATUSES.has(survey.status)) return 'survey without a status';
  if (!Array.isArray(survey.questions) || survey.questions.length === 0) return 'survey without questions';
  if (typeof survey.revision !== 'number' || !checks.isLocalized(survey.title) || !survey.settings) return 'survey without revision, title or settings';
  return undefined;
}

/** A user read for sign-in (whole record) or for a session (email, name, roles). */
export function userProblem(user: Partial<User>, expected: { email?: string; id?: string; withPassword?: boolean }): string | undefined {
  if (!user || typeof user !== 'object') return 'not a document';
  if (!checks.isObjectIdLike(user._id)) return 'user without _id';
  if (expected.id !== undefined && String(user._id) !== expected.id) return 'user read for another id';
  if (typeof user.email !== 'string') return 'user without email';
  if (expected.email !== undefined && user.email !== expected.email) return 'user read for another email';
  if (!Array.isArray(user.roles)) return 'user without roles';
  if (expected.withPassword && typeof user.passwordHash !== 'string') return 'user without password hash';
  return undefined;
}

/** Checks each record of a list, or undefined when all are fine. */
export function listProblem<T>(records: T[], problem: (record: T) => string | undefined): string | undefined {
  if (!Array.isArray(records)) return 'not a list';
  for (const record of records) {
    const found = problem(record);
    if (found) return found;
  }
  return undefined;
}
