/**
 * While `npm start` runs an embedded database, its address is written to MINYI_DATA_DIR/embedded-db.json,
 * so command-line tools (npm run codes, tallies:verify) use the same server instead of starting a second one
 * on the same files.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningDatabase } from './running-database.js';

const fileIn = (dataDir: string) => path.join(dataDir, 'embedded-db.json');

export function announceEmbeddedDatabase(dataDir: string, database: RunningDatabase): () => void {
  if (database.kind === 'external') return () => {};
  const file = fileIn(dataDir);
  writeFileSync(file, JSON.stringify({ uri: database.uri, kind: database.kind, pid: process.pid }));
  return () => rmSync(file, { force: true });
}

/** The URI of an embedded database another Minyi process is running on this data folder, if that process lives. */
export function runningEmbeddedDatabase(dataDir: string): { uri: string; kind: string } | undefined {
  const file = fileIn(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { uri: string; kind: string; pid: number };
    process.kill(entry.pid, 0);
    return entry;
  } catch {
    return undefined;
  }
}
