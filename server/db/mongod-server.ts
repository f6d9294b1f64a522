/**
 * Runs a real mongod through mongodb-memory-server: a system binary (MONGOMS_SYSTEM_BINARY), one in its
 * cache, or one it downloads. A failed download is remembered for a day so that machines without internet
 * access do not wait for it on every start.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningDatabase } from './running-database.js';

const DOWNLOAD_RETRY_MS = 24 * 60 * 60 * 1000;

/** Loaded only when a mongod is wanted: it is the slowest import of all, and a start with MONGODB_URI never needs it. */
const mongodbMemoryServer = () => import('mongodb-memory-server-core');

export interface MongodOptions {
  dataPath: string;
  databaseName: string;
  /** Where the "download failed" note is kept. */
  cacheDir: string;
  /** Remove dataPath on stop (throwaway test databases). */
  ephemeral: boolean;
}

/** Finds a mongod binary, or explains why there is none. */
export async function findMongodBinary(cacheDir: string): Promise<{ path?: string; reason?: string }> {
  const failureNote = path.join(cacheDir, 'mongod-download-failed.json');
  if (existsSync(failureNote)) {
    const note = JSON.parse(readFileSync(failureNote, 'utf8')) as { at: number; reason: string };
    if (Date.now() - note.at < DOWNLOAD_RETRY_MS) {
      return { reason: `${note.reason} (remembered from ${new Date(note.at).toISOString()}; delete ${failureNote} to retry)` };
    }
  }
  try {
    const { MongoBinary } = await mongodbMemoryServer();
    return { path: await MongoBinary.getPath() };
  } catch (error) {
    const reason = (error as Error).message.split('\n').join(' ').slice(0, 300);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(failureNote, JSON.stringify({ at: Date.now(), reason }));
    return { reason };
  }
}

export async function startMongod(binaryPath: string, options: MongodOptions): Promise<RunningDatabase> {
  mkdirSync(options.dataPath, { recursive: true });
  const { MongoMemoryServer } = await mongodbMemoryServer();
  const server = await MongoMemoryServer.create({
    binary: { systemBinary: binaryPath },
    instance: { dbPath: options.dataPath, storageEngine: 'wiredTiger', ip: '127.0.0.1' },
  });
  let stopped = false;
  return {
    kind: 'mongod',
    uri: server.getUri(options.databaseName),
    description: `mongod (mongodb-memory-server, wiredTiger) at ${server.getUri()}, data in ${options.dataPath}`,
    dataPath: options.dataPath,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop({ doCleanup: false });
      if (options.ephemeral) rmSync(options.dataPath, { recursive: true, force: true });
    },
  };
}
