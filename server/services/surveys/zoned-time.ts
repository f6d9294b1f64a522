/** Converts between a wall-clock time in a bureau's time zone ("2026-12-01T09:00") and an instant. */

function offsetMinutes(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(instant)
    .reduce<Record<string, number>>((acc, part) => (part.type === 'literal' ? acc : { ...acc, [part.type]: Number(part.value) }), {});
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((asUtc - instant.getTime()) / 60_000);
}

/** The instant at which the bureau's clocks show the wall time; null for an empty or malformed value. */
export function zonedWallTimeToDate(wallTime: string, timeZone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wallTime.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  // Date.UTC rolls 2030-13-45 over into 2031; a wall time that does not round-trip does not exist.
  if (new Date(guess).toISOString().slice(0, 16) !== wallTime.trim()) return null;
  const first = guess - offsetMinutes(new Date(guess), timeZone) * 60_000;
  // Near a daylight-saving change the offset at the guess may differ from the offset at the answer.
  return new Date(guess - offsetMinutes(new Date(first), timeZone) * 60_000);
}

/** "2026-12-01T09:00" as the bureau's clocks show the instant, for datetime-local inputs. */
export function dateToZonedWallTime(date: Date | null, timeZone: string): string {
  if (!date) return '';
  const local = new Date(date.getTime() + offsetMinutes(date, timeZone) * 60_000);
  return local.toISOString().slice(0, 16);
}
