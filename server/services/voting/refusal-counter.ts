/**
 * Decides which refused posts reach the "refused" integrity counter: one per survey, address group and
 * ten-minute window. Refusals cost nothing to send (a forged token, a filled honeypot), so counting each would
 * let anyone inflate the figure at will; counting addresses that were refused keeps it meaningful. Held in
 * this process's memory, bounded (the oldest keys are forgotten first).
 */
const WINDOW_MS = 10 * 60_000;
const MAX_KEYS = 100_000;

export class RefusalCounter {
  private readonly seen = new Set<string>();

  /** True when this refusal should be counted: the first of its survey, client and window. */
  shouldCount(surveyId: string, clientHash: string, now = Date.now()): boolean {
    const key = `${surveyId}:${clientHash}:${Math.floor(now / WINDOW_MS)}`;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= MAX_KEYS) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(key);
    return true;
  }

  clear(): void {
    this.seen.clear();
  }
}
