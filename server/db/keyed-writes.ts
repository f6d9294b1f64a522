/**
 * Inserts under keys the caller chose, tried again until the database gives a definite answer. A duplicate
 * key means an earlier attempt (or another process) already stored that document: the one outcome of a
 * write whose fate was unknown that needs no reading back.
 */
import type { WriteConcernSettings } from 'mongodb';

/** Any driver collection (mongoose bundles its own copy of the driver's types). */
export interface InsertTarget {
  insertMany(documents: never[], options: { ordered: boolean; writeConcern?: WriteConcernSettings }): Promise<unknown>;
}

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

interface WriteError {
  index: number;
  code?: number;
  errmsg?: string;
}

/** The per-document errors of an unordered insert, or undefined when the insert failed as a whole (its fate unknown). */
export function perDocumentErrors(error: unknown): Map<number, WriteError> | undefined {
  if ((error as { name?: string }).name !== 'MongoBulkWriteError') return undefined;
  const writeErrors = (error as { writeErrors?: WriteError | WriteError[] }).writeErrors ?? [];
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  // The driver also throws a bulk write error, with no per-document errors, when the connection broke or the
  // write concern failed: then the server confirmed none of the documents.
  if (list.length === 0) return undefined;
  return new Map(list.map((e) => [e.index, e]));
}

export interface RetryPolicy {
  /** Stops retrying (the process is shutting down); the caller's marker lets another process finish. */
  stopped(): boolean;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Inserts every document, unordered, until each is either inserted or known to exist already. Resolves
 * with the indexes of the documents that already existed. Throws the last error if the policy stops it, or
 * at once on a per-document error other than a duplicate key (a document the server refuses: a bug).
 */
export async function insertKeyed(collection: InsertTarget, documents: readonly object[], writeConcern: WriteConcernSettings | undefined, policy: RetryPolicy): Promise<Set<number>> {
  let delay = policy.firstDelayMs ?? 100;
  for (;;) {
    try {
      await collection.insertMany(documents as never[], { ordered: false, writeConcern });
      return new Set();
    } catch (error) {
      const perDocument = perDocumentErrors(error);
      if (perDocument) {
        const refused = [...perDocument.values()].find((e) => !isDuplicateKey(e));
        if (refused) throw Object.assign(new Error(refused.errmsg ?? 'a document was refused'), { code: refused.code });
        return new Set(perDocument.keys());
      }
      if (isDuplicateKey(error) && documents.length === 1) return new Set([0]);
      if (policy.stopped()) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay = Math.min(delay * 2, policy.maxDelayMs ?? 5000);
    }
  }
}
