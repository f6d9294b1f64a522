/** The pass/fail checks of a pressure run: each printed as it is made, all of them set the exit code at the end. */

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export class CheckList {
  readonly results: CheckResult[] = [];

  constructor(private readonly log: (line: string) => void) {}

  check(name: string, ok: boolean, detail: string): boolean {
    this.results.push({ name, ok, detail });
    this.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
    return ok;
  }

  failed(): CheckResult[] {
    return this.results.filter((c) => !c.ok);
  }
}
