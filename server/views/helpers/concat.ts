/** {{concat "a." b}}: joins its arguments into one string (for building translation keys). */
export function concat(...args: unknown[]): string {
  return args.slice(0, -1).map(String).join('');
}
