import type { Survey, SurveyStatus } from '../../models/survey.model.js';

/**
 * The status a resident sees now: a scheduled survey opens at opensAt and any survey closes at closesAt,
 * without waiting for a job to flip the stored status.
 */
export function effectiveStatus(survey: Pick<Survey, 'status' | 'opensAt' | 'closesAt'>, now = new Date()): SurveyStatus {
  const closed = survey.closesAt !== null && survey.closesAt <= now;
  if (survey.status === 'scheduled') {
    if (survey.opensAt === null || survey.opensAt > now) return 'scheduled';
    return closed ? 'closed' : 'open';
  }
  if (survey.status === 'open' && closed) return 'closed';
  return survey.status;
}

/** The moment a closed survey closed, for "this survey closed on <date>". */
export function closedAt(survey: Pick<Survey, 'closesAt' | 'updatedAt'>): Date {
  return survey.closesAt ?? survey.updatedAt;
}

/** Residents may see open and closed surveys; drafts, unopened scheduled and archived ones do not exist for them. */
export function isPublished(status: SurveyStatus): boolean {
  return status === 'open' || status === 'closed';
}
