import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { NoDatabaseError, redactCredentials, resolveDatabase } from '../../../server/db/resolve-database.js';
import { projectRoot } from '../../../server/paths.js';
import { portOpen } from '../../utils/net.js';
import { testTempDir } from '../../utils/temp-dir.js';
import { scaled } from '../../utils/time.js';

const uriPortOpen = (uri: string) => {
  const { hostname, port } = new URL(uri);
  return portOpen(hostname, Number(port));
};

describe('resolveDatabase', () => {
  it('uses MONGODB_URI when given, and hides its credentials in the description', async () => {
    const db = await resolveDatabase({ mongodbUri: 'mongodb://minyi:hunter2@db.example:27017/minyi', dataDir: '', embedded: 'auto', cacheDir: '' });
    expect(db.kind).toBe('external');
    expect(db.description).toContain('mongodb://***@db.example:27017/minyi');
    expect(db.description).not.toContain('hunter2');
    expect(redactCredentials('mongodb://h:1/x')).toBe('mongodb://h:1/x');
  });

  it('starts a throwaway embedded server that answers over the wire, and stops it with its files', async () => {
    const db = await resolveDatabase({ dataDir: '', embedded: 'auto', ephemeral: true, cacheDir: path.join(projectRoot(), '.cache'), databaseName: 'resolver_test' });
    try {
      expect(['mongod', 'ferretdb']).toContain(db.kind);
      expect(db.dataPath && existsSync(db.dataPath)).toBe(true);
      const client = await MongoClient.connect(db.uri, { serverSelectionTimeoutMS: scaled(10_000) });
      await client.db().collection('probe').insertOne({ ok: 1 });
      expect(await client.db().collection('probe').countDocuments()).toBe(1);
      await client.close();
    } finally {
      await db.stop();
    }
    await db.stop(); // safe twice
    expect(await uriPortOpen(db.uri)).toBe(false);
    expect(existsSync(path.dirname(db.dataPath!))).toBe(false);
  });

  it('keeps data with the engine that wrote it', async () => {
    const dataDir = testTempDir('minyi-engine-');
    mkdirSync(path.join(dataDir, 'ferretdb'));
    writeFileSync(path.join(dataDir, 'ferretdb', 'state.json'), '{}');
    const db = await resolveDatabase({ dataDir, embedded: 'auto', cacheDir: path.join(projectRoot(), '.cache') });
    try {
      expect(db.kind).toBe('ferretdb');
      expect(db.dataPath).toBe(path.join(dataDir, 'ferretdb'));
    } finally {
      await db.stop();
    }
  });

  it('names the three ways to get a database when none can be had', async () => {
    const cacheDir = testTempDir('minyi-cache-');
    writeFileSync(path.join(cacheDir, 'mongod-download-failed.json'), JSON.stringify({ at: Date.now(), reason: 'no network' }));
    const attempt = resolveDatabase({ dataDir: '', embedded: 'mongod', ephemeral: true, cacheDir });
    await expect(attempt).rejects.toBeInstanceOf(NoDatabaseError);
    const message = await attempt.catch((error: Error) => error.message);
    expect(message).toContain('MONGODB_URI');
    expect(message).toContain('MONGOMS_SYSTEM_BINARY');
    expect(message).toContain('FerretDB');
    expect(message).toContain('mongod: no network');
  });
});
