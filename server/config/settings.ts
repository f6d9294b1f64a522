/**
 * Every setting Minyi reads from the environment, in one table. The README documents each one and a test
 * checks that it does; nothing outside server/config/ reads process.env.
 */
export type SettingKind =
  | { type: 'string'; minLength?: number; pattern?: RegExp }
  | { type: 'integer'; min: number; max: number }
  | { type: 'boolean' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'url' };

export interface SettingSpec {
  env: string;
  kind: SettingKind;
  /** Used when the variable is unset or empty; undefined means "optional, no value". */
  default?: string;
  description: string;
}

export const settingSpecs = {
  port: { env: 'PORT', kind: { type: 'integer', min: 0, max: 65535 }, default: '3000', description: 'HTTP port to listen on (0 picks a free port).' },
  host: { env: 'HOST', kind: { type: 'string' }, default: '127.0.0.1', description: 'Interface to listen on; use 0.0.0.0 to accept connections from other machines.' },
  publicUrl: { env: 'MINYI_PUBLIC_URL', kind: { type: 'url' }, description: 'Address residents use to reach Minyi, for share links and QR codes. Defaults to http://localhost:PORT.' },
  mongodbUri: { env: 'MONGODB_URI', kind: { type: 'string', pattern: /^mongodb(\+srv)?:\/\// }, description: 'Connection string of your MongoDB server or replica set. When unset, Minyi starts an embedded database.' },
  dataDir: { env: 'MINYI_DATA_DIR', kind: { type: 'string', minLength: 1 }, default: './data', description: 'Folder for the embedded database and the generated secret.' },
  embeddedDatabase: { env: 'MINYI_EMBEDDED_DB', kind: { type: 'enum', values: ['auto', 'mongod', 'ferretdb'] }, default: 'auto', description: 'Which embedded database to use without MONGODB_URI: auto (mongod when one can be had, else FerretDB), mongod, or ferretdb.' },
  dbTimeoutMs: { env: 'MINYI_DB_TIMEOUT_MS', kind: { type: 'integer', min: 500, max: 60000 }, default: '3000', description: 'How long a request waits for the database before it gets a 503 page.' },
  secret: { env: 'MINYI_SECRET', kind: { type: 'string', minLength: 32 }, description: 'At least 32 random characters; signs cookies and salts hashed client addresses. Without it Minyi generates one in MINYI_DATA_DIR/secret.key.' },
  trustProxy: { env: 'MINYI_TRUST_PROXY', kind: { type: 'string' }, default: 'false', description: "Express 'trust proxy' value: false, true, a hop count, or a list of proxy addresses. Set it when Minyi runs behind a reverse proxy." },
  minFillSeconds: { env: 'MINYI_MIN_FILL_SECONDS', kind: { type: 'integer', min: 0, max: 600 }, default: '3', description: 'A vote sent sooner than this after the form was served is refused as a bot (0 turns the check off).' },
  voteRateLimit: { env: 'MINYI_VOTE_RATE_LIMIT', kind: { type: 'integer', min: 0, max: 1000000 }, default: '30', description: 'Votes accepted per hashed client address (IPv6 /56) and survey in each window; 0 turns the limit off. Keep it generous: many residents share a mobile carrier address.' },
  voteRateWindowSeconds: { env: 'MINYI_VOTE_RATE_WINDOW_SECONDS', kind: { type: 'integer', min: 1, max: 86400 }, default: '600', description: 'Length of the vote rate-limit window.' },
  tallyFlushMs: { env: 'MINYI_TALLY_FLUSH_MS', kind: { type: 'integer', min: 0, max: 60000 }, default: '1000', description: 'Least time between two folds of a survey\'s vote deltas into its snapshots (and writes of its vote-check events). Dashboards show every stored vote either way; higher costs the database less under load.' },
  analysisWaitSeconds: { env: 'MINYI_ANALYSIS_WAIT_SECONDS', kind: { type: 'integer', min: 0, max: 600 }, default: '3', description: 'Answer filters and cross-tabs need a survey\'s responses read once per process. A dashboard waits this long for that read, then shows how far it has come and reloads itself while it goes on in the background (minutes for a million responses on the embedded database).' },
  smallCellMin: { env: 'MINYI_SMALL_CELL_MIN', kind: { type: 'integer', min: 1, max: 1000 }, default: '5', description: 'Results based on fewer responses than this hide their percentages, to protect the people who answered.' },
  sessionIdleMinutes: { env: 'MINYI_SESSION_IDLE_MINUTES', kind: { type: 'integer', min: 1, max: 1440 }, default: '30', description: 'A staff session ends after this many minutes without a request.' },
  sessionMaxHours: { env: 'MINYI_SESSION_MAX_HOURS', kind: { type: 'integer', min: 1, max: 720 }, default: '12', description: 'A staff session ends this many hours after sign-in, however active.' },
  demoData: { env: 'MINYI_DEMO_DATA', kind: { type: 'enum', values: ['auto', 'true', 'false'] }, default: 'auto', description: 'Load demo bureaus and surveys into an empty database: auto (only for the embedded database), true, or false.' },
  logLevel: { env: 'LOG_LEVEL', kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info', description: 'Log level of the JSON logs written to standard output.' },
  environment: { env: 'NODE_ENV', kind: { type: 'enum', values: ['development', 'production', 'test'] }, default: 'development', description: 'production requires MINYI_SECRET and marks cookies Secure when MINYI_PUBLIC_URL is https.' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof settingSpecs;
