import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, settingSpecs } from '../../../server/config/index.js';
import { testTempDir } from '../../utils/temp-dir.js';

const tmp = () => testTempDir('minyi-config-');

describe('loadConfig', () => {
  it('fills defaults and freezes the result', () => {
    const dir = tmp();
    const config = loadConfig({}, dir);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.dataDir).toBe(path.join(dir, 'data'));
    expect(config.embeddedDatabase).toBe('auto');
    expect(config.mongodbUri).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('generates a secret once, keeps it private, and reuses it', () => {
    const dir = tmp();
    const first = loadConfig({}, dir);
    expect(first.secretSource).toBe('generated');
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, 'data', 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret);
    const again = loadConfig({}, dir);
    expect(again.secret).toBe(first.secret);
    expect(again.secretSource).toBe('file');
  });

  it('names the bad setting and says what it expects', () => {
    expect(() => loadConfig({ PORT: 'eighty' }, tmp())).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' }, tmp())).toThrow(/PORT must be a whole number from 0 to 65535, not "eighty"/);
    expect(() => loadConfig({ MINYI_EMBEDDED_DB: 'sqlite' }, tmp())).toThrow(/MINYI_EMBEDDED_DB must be one of auto, mongod, ferretdb/);
    expect(() => loadConfig({ MONGODB_URI: 'postgres://x' }, tmp())).toThrow(/MONGODB_URI/);
    expect(() => loadConfig({ MINYI_SECRET: 'short' }, tmp())).toThrow(/MINYI_SECRET must be at least 32 characters/);
    expect(() => loadConfig({ MINYI_PUBLIC_URL: 'ftp://x' }, tmp())).toThrow(/MINYI_PUBLIC_URL must be an http/);
  });

  it('requires a secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, tmp())).toThrow(/MINYI_SECRET is required when NODE_ENV=production/);
    const config = loadConfig({ NODE_ENV: 'production', MINYI_SECRET: 'x'.repeat(40) }, tmp());
    expect(config.secretSource).toBe('environment');
  });

  it('reads trust proxy as a boolean, a hop count or a list', () => {
    expect(loadConfig({ MINYI_TRUST_PROXY: 'true' }, tmp()).trustProxy).toBe(true);
    expect(loadConfig({ MINYI_TRUST_PROXY: '2' }, tmp()).trustProxy).toBe(2);
    expect(loadConfig({ MINYI_TRUST_PROXY: 'loopback, 10.0.0.1' }, tmp()).trustProxy).toBe('loopback, 10.0.0.1');
  });

  it('is documented: the README lists every setting', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../../../README.md'), 'utf8');
    for (const spec of Object.values(settingSpecs)) expect(readme, spec.env).toContain(`\`${spec.env}\``);
  });
});
