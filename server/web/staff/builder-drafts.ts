/**
 * The builder's unsaved work between two requests. Each button (add, move, remove) redirects back to the
 * question it changed, so the form must outlive the request: it is kept in the staff member's own session
 * (stored in the database, gone at sign-out or expiry), as JSON text so that no key of it ever reaches the
 * database as a field name. Only "save" turns it into the survey.
 */
import type { Request } from 'express';

declare module 'express-session' {
  interface SessionData {
    builderDrafts?: Record<string, string>;
  }
}

/**
 * Stores the session now. express-session would store it as the response ends, but it sends a redirect's
 * headers first: the browser could then ask for the next page before the change is stored, and get the old one.
 */
function saved(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}

/** Surveys one person edits at once; the oldest unsaved work goes first. */
const MAX_DRAFTS = 5;

export const builderDrafts = {
  get(req: Request, surveyId: string): Record<string, unknown> | undefined {
    const text = req.session?.builderDrafts?.[surveyId];
    if (typeof text !== 'string') return undefined;
    try {
      const value = JSON.parse(text) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  },

  async put(req: Request, surveyId: string, definition: Record<string, unknown>): Promise<void> {
    if (!req.session) return;
    const drafts = { ...(req.session.builderDrafts ?? {}) };
    delete drafts[surveyId];
    drafts[surveyId] = JSON.stringify(definition);
    const ids = Object.keys(drafts);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_DRAFTS))) delete drafts[id];
    req.session.builderDrafts = drafts;
    await saved(req);
  },

  async discard(req: Request, surveyId: string): Promise<void> {
    if (!req.session?.builderDrafts?.[surveyId]) return;
    const { [surveyId]: _gone, ...rest } = req.session.builderDrafts;
    req.session.builderDrafts = rest;
    await saved(req);
  },
};
