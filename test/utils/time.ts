/**
 * One factor for every test timeout and wait, so a slow or busy machine gets more time without any test
 * asserting how fast it is: CI sets MINYI_TEST_TIME_FACTOR (default 1), vitest.config.ts scales its
 * testTimeout and hookTimeout with it, and tests scale their own timeouts with `scaled()`.
 */
export function timeFactor(value: string | undefined = process.env.MINYI_TEST_TIME_FACTOR): number {
  if (value === undefined || value.trim() === '') return 1;
  const factor = Number(value);
  if (!Number.isFinite(factor) || factor <= 0) throw new Error(`MINYI_TEST_TIME_FACTOR must be a positive number, not ${JSON.stringify(value)}`);
  return factor;
}

export const TIME_FACTOR = timeFactor();

/** A timeout or wait, in milliseconds, scaled by MINYI_TEST_TIME_FACTOR. */
export const scaled = (ms: number): number => Math.round(ms * TIME_FACTOR);

/**
 * The promise's value, or a failure naming `what` once `ms` (scaled) have passed: tells a hang from a slow
 * answer without asserting the machine's speed (the bound is generous and scales).
 */
export async function withinScaled<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = scaled(ms);
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${limit} ms (MINYI_TEST_TIME_FACTOR=${TIME_FACTOR})`)), limit);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}
