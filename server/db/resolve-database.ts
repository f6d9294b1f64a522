/**
 * Decides which database Minyi talks to, in this order: MONGODB_URI; a real mongod through
 * mongodb-memory-server; FerretDB on SQLite built with Go. Says which one won, and why the others did not.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureFerretdbBinary } from './ferretdb-binary.js';
import { startFerretdb } from './ferretdb-server.js';
import { findMongodBinary, startMongod } from './mongod-server.js';
import type { RunningDatabase } from './running-database.js';

export interface ResolveOptions {
  mongodbUri?: string | undefined;
  /** Folder for embedded data; ignored when ephemeral. */
  dataDir: string;
  embedded: 'auto' | 'mongod' | 'ferretdb';
  /** A fresh throwaway database in a temporary folder, removed on stop (tests). */
  ephemeral?: boolean;
  databaseName?: string;
  cacheDir: string;
  log?: (message: string) => void;
}

export class NoDatabaseError extends Error {
  constructor(reasons: string[]) {
    super(
      [
        'Minyi has no database. Give it one of these:',
        '  1. MONGODB_URI=mongodb://... pointing at your MongoDB server or replica set;',
        '  2. a mongod binary for the embedded database (MONGOMS_SYSTEM_BINARY=/path/to/mongod, or internet access so mongodb-memory-server can download one);',
        '  3. Go 1.22+ on the PATH, so Minyi can build FerretDB once into .cache/ferretdb.',
        'What was tried:',
        ...reasons.map((reason) => `  - ${reason}`),
      ].join('\n'),
    );
    this.name = 'NoDatabaseError';
  }
}

const hasFiles = (dir: string) => existsSync(dir) && readdirSync(dir).length > 0;

export async function resolveDatabase(options: ResolveOptions): Promise<RunningDatabase> {
  const databaseName = options.databaseName ?? 'minyi';
  const log = options.log ?? (() => {});
  if (options.mongodbUri) {
    return {
      kind: 'external',
      uri: options.mongodbUri,
      description: `MongoDB at ${redactCredentials(options.mongodbUri)} (MONGODB_URI)`,
      async stop() {},
    };
  }

  const root = options.ephemeral ? mkdtempSync(path.join(os.tmpdir(), 'minyi-db-')) : options.dataDir;
  const mongodPath = path.join(root, 'mongod');
  const ferretPath = path.join(root, 'ferretdb');
  const reasons: string[] = [];
  const removeTemp = () => {
    if (options.ephemeral) rmSync(root, { recursive: true, force: true });
  };

  // Data already written by one engine stays with that engine: switching would hide it.
  let order: Array<'mongod' | 'ferretdb'> = ['mongod', 'ferretdb'];
  if (options.embedded !== 'auto') order = [options.embedded];
  else if (!hasFiles(mongodPath) && hasFiles(ferretPath)) order = ['ferretdb'];

  for (const engine of order) {
    if (engine === 'mongod') {
      const binary = await findMongodBinary(options.cacheDir);
      if (!binary.path) {
        reasons.push(`mongod: ${binary.reason}`);
        continue;
      }
      try {
        return withCleanup(await startMongod(binary.path, { dataPath: mongodPath, databaseName, cacheDir: options.cacheDir, ephemeral: !!options.ephemeral }), removeTemp);
      } catch (error) {
        reasons.push(`mongod at ${binary.path} did not start: ${(error as Error).message}`);
      }
    } else {
      try {
        const binary = await ensureFerretdbBinary(log);
        return withCleanup(await startFerretdb({ binary, dataPath: ferretPath, databaseName, log }), removeTemp);
      } catch (error) {
        reasons.push(`FerretDB: ${(error as Error).message}`);
      }
    }
  }
  removeTemp();
  throw new NoDatabaseError(reasons);
}

function withCleanup(database: RunningDatabase, cleanup: () => void): RunningDatabase {
  const stop = database.stop.bind(database);
  return {
    ...database,
    async stop() {
      try {
        await stop();
      } finally {
        // A throwaway folder goes even when stopping the server failed.
        cleanup();
      }
    },
  };
}

export function redactCredentials(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}
