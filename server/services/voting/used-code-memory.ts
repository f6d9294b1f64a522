/**
 * What this process knows about invitation codes that are used, so that replays of a used code (an attacker
 * posting one code hundreds of times) are refused from memory instead of costing the database what a vote
 * costs. Keyed by the code's hash; holds, where this process stored the vote, the receipt of that vote, so a
 * retry of the very form that used the code is told apart without a read.
 *
 * A use is permanent unless its vote could not be stored (the code is then given back, see forget). That
 * happens in the process that claimed it, which forgets at once; a use seen only in the database may belong to
 * a claim in another process that is about to be given back, so it is believed for a short while only.
 */
export interface KnownUse {
  /** Receipt of the vote that used the code, when this process stored it. */
  receipt?: string;
}

const STORED_HERE_MS = 10 * 60_000;
const SEEN_IN_DATABASE_MS = 30_000;
/** About 200 bytes an entry: a few MB at most, however many codes are replayed. */
const MAX_ENTRIES = 20_000;

export class UsedCodeMemory {
  private readonly uses = new Map<string, KnownUse & { until: number }>();

  /** This process stored the vote that used the code. */
  rememberStored(codeHash: string, receipt: string, now = Date.now()): void {
    this.put(codeHash, { receipt, until: now + STORED_HERE_MS });
  }

  /** The database says the code is used; by which vote is not known here. */
  rememberSeen(codeHash: string, now = Date.now()): void {
    if (this.uses.has(codeHash)) return;
    this.put(codeHash, { until: now + SEEN_IN_DATABASE_MS });
  }

  known(codeHash: string, now = Date.now()): KnownUse | undefined {
    const use = this.uses.get(codeHash);
    if (!use) return undefined;
    if (use.until > now) return use;
    this.uses.delete(codeHash);
    return undefined;
  }

  forget(codeHash: string): void {
    this.uses.delete(codeHash);
  }

  private put(codeHash: string, use: KnownUse & { until: number }): void {
    this.uses.delete(codeHash);
    // Maps keep insertion order: the first key is the oldest.
    if (this.uses.size >= MAX_ENTRIES) this.uses.delete(this.uses.keys().next().value!);
    this.uses.set(codeHash, use);
  }
}
