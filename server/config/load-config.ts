import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { settingSpecs, type SettingSpec } from './settings.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly mongodbUri: string | undefined;
  readonly dataDir: string;
  readonly embeddedDatabase: 'auto' | 'mongod' | 'ferretdb';
  readonly dbTimeoutMs: number;
  readonly secret: string;
  /** Where the secret came from: MINYI_SECRET, MINYI_DATA_DIR/secret.key made by this start, or that file kept from before. */
  readonly secretSource: 'environment' | 'generated' | 'file';
  readonly trustProxy: boolean | number | string;
  readonly minFillSeconds: number;
  readonly voteRateLimit: number;
  readonly voteRateWindowSeconds: number;
  readonly tallyFlushMs: number;
  readonly smallCellMin: number;
  readonly analysisWaitSeconds: number;
  readonly sessionIdleMinutes: number;
  readonly sessionMaxHours: number;
  readonly demoData: 'auto' | 'true' | 'false';
  readonly logLevel: string;
  readonly environment: 'development' | 'production' | 'test';
}

export class ConfigError extends Error {
  constructor(setting: SettingSpec, problem: string) {
    super(`Setting ${setting.env} ${problem}. ${setting.description}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readSetting(env: Env, spec: SettingSpec): string | number | boolean | undefined {
  const raw = env[spec.env]?.trim();
  const value = raw === undefined || raw === '' ? spec.default : raw;
  if (value === undefined) return undefined;
  const kind = spec.kind;
  switch (kind.type) {
    case 'integer': {
      const n = Number(value);
      if (!/^-?\d+$/.test(value) || n < kind.min || n > kind.max) {
        throw new ConfigError(spec, `must be a whole number from ${kind.min} to ${kind.max}, not "${value}"`);
      }
      return n;
    }
    case 'boolean':
      if (value !== 'true' && value !== 'false') throw new ConfigError(spec, `must be true or false, not "${value}"`);
      return value === 'true';
    case 'enum':
      if (!kind.values.includes(value)) throw new ConfigError(spec, `must be one of ${kind.values.join(', ')}, not "${value}"`);
      return value;
    case 'url':
      try {
        const url = new URL(value);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
      } catch {
        throw new ConfigError(spec, `must be an http:// or https:// address, not "${value}"`);
      }
      return value.replace(/\/+$/, '');
    case 'string':
      if (kind.minLength !== undefined && value.length < kind.minLength) {
        throw new ConfigError(spec, `must be at least ${kind.minLength} characters long`);
      }
      if (kind.pattern && !kind.pattern.test(value)) throw new ConfigError(spec, `has an unexpected form: "${value}"`);
      return value;
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** A secret kept beside the embedded data, so cookies and client hashes survive restarts of a demo install. */
function loadOrCreateSecret(dataDir: string): { secret: string; created: boolean } {
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), created: false };
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secret, created: true };
}

/** Reads, checks and freezes every setting once; throws ConfigError naming the bad setting. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const read = (name: keyof typeof settingSpecs) => readSetting(env, settingSpecs[name]);
  const port = read('port') as number;
  const environment = read('environment') as Config['environment'];
  const dataDir = path.resolve(cwd, read('dataDir') as string);
  let secret = read('secret') as string | undefined;
  let secretSource: Config['secretSource'] = 'environment';
  if (secret === undefined) {
    if (environment === 'production') throw new ConfigError(settingSpecs.secret, 'is required when NODE_ENV=production');
    const kept = loadOrCreateSecret(dataDir);
    secret = kept.secret;
    secretSource = kept.created ? 'generated' : 'file';
  }
  return Object.freeze({
    port,
    host: read('host') as string,
    publicUrl: (read('publicUrl') as string | undefined) ?? `http://localhost:${port}`,
    mongodbUri: read('mongodbUri') as string | undefined,
    dataDir,
    embeddedDatabase: read('embeddedDatabase') as Config['embeddedDatabase'],
    dbTimeoutMs: read('dbTimeoutMs') as number,
    secret,
    secretSource,
    trustProxy: parseTrustProxy(read('trustProxy') as string),
    minFillSeconds: read('minFillSeconds') as number,
    voteRateLimit: read('voteRateLimit') as number,
    voteRateWindowSeconds: read('voteRateWindowSeconds') as number,
    tallyFlushMs: read('tallyFlushMs') as number,
    smallCellMin: read('smallCellMin') as number,
    analysisWaitSeconds: read('analysisWaitSeconds') as number,
    sessionIdleMinutes: read('sessionIdleMinutes') as number,
    sessionMaxHours: read('sessionMaxHours') as number,
    demoData: read('demoData') as Config['demoData'],
    logLevel: read('logLevel') as string,
    environment,
  });
}
