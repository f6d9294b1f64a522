/**
 * Counters are stored as JSON text, not as nested documents. Snapshots and deltas are written once and read
 * whole by key, never queried inside, so nothing is lost; and FerretDB 1.24 parses every nested field of
 * every row it scans, even for a lookup by `_id`: among 300 day slices, a lookup takes 25 times as long with
 * the counters as documents as with them as text (`npx tsx bench/counter-storage.ts`, docs/scaling.md).
 */
import type { CounterTree } from '../../models/tally.model.js';

export function packCounters(tree: CounterTree | Record<string, CounterTree>): string {
  return JSON.stringify(tree);
}

/** The counters of a stored snapshot or delta; documents written by earlier versions hold the tree itself. */
export function unpackCounters(stored: unknown, what: string): CounterTree {
  let tree: unknown = stored;
  if (typeof stored === 'string') {
    try {
      tree = JSON.parse(stored);
    } catch {
      tree = undefined;
    }
  }
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) throw new Error(`${what} came back malformed`);
  return tree as CounterTree;
}
