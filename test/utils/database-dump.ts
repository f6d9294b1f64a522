/** Everything a test app's database holds, as text: to show a secret is stored nowhere, in any collection. */
import { BSON } from 'mongodb';
import type { TestApp } from './test-app.js';

/** Every document of every collection, one line per collection, as Extended JSON (binary values in base64). */
export async function dumpDatabase(app: Pick<TestApp, 'container'>): Promise<string> {
  const db = app.container.database.connection.db!;
  const lines: string[] = [];
  for (const { name } of await db.listCollections().toArray()) lines.push(`${name}: ${BSON.EJSON.stringify(await db.collection(name).find().toArray())}`);
  return lines.join('\n');
}
