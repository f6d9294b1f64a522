/** Reply deadlines: N working days (Monday to Friday) after the day a case came in, in the bureau's time zone. */
import { calendarDay } from '../voting/vote.service.js';
import { zonedWallTimeToDate } from '../surveys/zoned-time.js';

const DAY_MS = 24 * 3600_000;

/**
 * The end of the Nth working day after the local day of `received`: the day a case came in does not count,
 * so advice sent on Saturday or Sunday is due with advice sent on Monday morning... one day earlier, and
 * "5 working days" always leaves five whole working days. Public holidays are not known to Minyi; staff
 * see the date and may plan around them.
 */
export function replyDueAt(received: Date, workingDays: number, timeZone: string): Date {
  // The deadline depends on the local day only: computed once per day (time zone conversions build formatters).
  const day = calendarDay(received, timeZone);
  const key = `${day}|${workingDays}|${timeZone}`;
  const known = dueDates.get(key);
  if (known) return new Date(known);
  if (dueDates.size >= 1000) dueDates.clear();
  const due = computeDueAt(day, workingDays, timeZone);
  dueDates.set(key, due.getTime());
  return due;
}

const dueDates = new Map<string, number>();

function computeDueAt(day: string, workingDays: number, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  // Walk the calendar in UTC dates: only the weekday of each local date matters.
  let date = Date.UTC(y, m - 1, d);
  let left = Math.max(0, Math.floor(workingDays));
  while (left > 0) {
    date += DAY_MS;
    const weekday = new Date(date).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  // Due at the end of that local day: the next local midnight.
  const next = new Date(date + DAY_MS).toISOString().slice(0, 10);
  return zonedWallTimeToDate(`${next}T00:00`, timeZone) ?? new Date(date + DAY_MS);
}

/** YYYY-MM of the moment in the time zone. */
export function calendarMonth(date: Date, timeZone: string): string {
  return calendarDay(date, timeZone).slice(0, 7);
}
