/** vitest globalSetup: one throwaway embedded database server per test run, found by the same resolver as npm start. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveDatabase } from '../../server/db/resolve-database.js';
import type { RunningDatabase } from '../../server/db/running-database.js';
import { projectRoot } from '../../server/paths.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUri: string;
    databaseKind: string;
  }
}

let database: RunningDatabase | undefined;

export async function setup(project: TestProject): Promise<void> {
  database = await resolveDatabase({
    mongodbUri: process.env.MONGODB_URI,
    dataDir: '',
    embedded: (process.env.MINYI_EMBEDDED_DB as 'auto' | 'mongod' | 'ferretdb' | undefined) ?? 'auto',
    ephemeral: true,
    cacheDir: path.join(projectRoot(), '.cache'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(`Tests use ${database.description}\n`);
  // The throwaway folder (/tmp/minyi-db-*) goes with the run even when teardown does not get to run (the run
  // was interrupted, or stopping the server failed); teardown removes it in the usual case.
  const dataRoot = database.dataPath ? path.dirname(database.dataPath) : undefined;
  if (dataRoot && path.basename(dataRoot).startsWith('minyi-db-')) process.once('exit', () => rmSync(dataRoot, { recursive: true, force: true }));
  project.provide('databaseUri', database.uri);
  project.provide('databaseKind', database.kind);
}

export async function teardown(): Promise<void> {
  await database?.stop();
}
