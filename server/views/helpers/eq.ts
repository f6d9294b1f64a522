/** {{#if (eq a b)}}: strict equality. */
export function eq(left: unknown, right: unknown): boolean {
  return left === right;
}
