/**
 * For command-line tools: connects to MONGODB_URI, or to the embedded database a running `npm start` uses,
 * or starts the embedded database on the data folder for the length of the task.
 */
import path from 'node:path';
import { loadConfig } from '../server/config/index.js';
import { connectDatabase } from '../server/db/connect.js';
import { runningEmbeddedDatabase } from '../server/db/embedded-database-file.js';
import { resolveDatabase } from '../server/db/resolve-database.js';
import { buildContainer, type Container } from '../server/container.js';
import { createLogger } from '../server/logging/logger.js';
import { ensureIndexes } from '../server/models/index.js';
import { projectRoot } from '../server/paths.js';

export async function withDatabase<T>(task: (container: Container) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const running = config.mongodbUri ? undefined : runningEmbeddedDatabase(config.dataDir);
  const database = running
    ? { kind: running.kind as 'ferretdb', uri: running.uri, description: `the embedded database of the running Minyi (${running.uri})`, stop: async () => {} }
    : await resolveDatabase({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, embedded: config.embeddedDatabase, cacheDir: path.join(projectRoot(), '.cache'), log: (line) => process.stderr.write(`${line}\n`) });
  const connection = await connectDatabase(database.uri, config.dbTimeoutMs);
  try {
    const container = buildContainer({ config, logger, database: connection, runningDatabase: database });
    await ensureIndexes(container.models, { secondaryIndexes: connection.capabilities.usesSecondaryIndexes });
    return await task(container);
  } finally {
    await connection.close();
    await database.stop();
  }
}

/** --name value pairs from the command line. */
export function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) flags.set(name, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(name, argv[(i += 1)]!);
    else flags.set(name, 'true');
  }
  return flags;
}
