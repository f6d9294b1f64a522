/**
 * npm run db:prepare: makes sure the embedded database can start, so the first `npm start` or test run
 * does not wait for it: finds a mongod, or else builds FerretDB once with Go. Does nothing with MONGODB_URI.
 */
import path from 'node:path';
import { loadConfig } from '../server/config/index.js';
import { ensureFerretdbBinary } from '../server/db/ferretdb-binary.js';
import { findMongodBinary } from '../server/db/mongod-server.js';
import { projectRoot } from '../server/paths.js';

const config = loadConfig();
if (config.mongodbUri) {
  console.log('MONGODB_URI is set: Minyi uses that server; nothing to prepare.');
  process.exit(0);
}
if (config.embeddedDatabase !== 'ferretdb') {
  const mongod = await findMongodBinary(path.join(projectRoot(), '.cache'));
  if (mongod.path) {
    console.log(`mongod found: ${mongod.path}`);
    process.exit(0);
  }
  console.log(`No mongod (${mongod.reason}); preparing FerretDB instead.`);
}
try {
  console.log(`FerretDB ready: ${await ensureFerretdbBinary((line) => console.log(line))}`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
