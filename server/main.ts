/** The only file that reads the configuration, connects the database and listens. */
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import path from 'node:path';
import { ConfigError, loadConfig } from './config/index.js';
import { NoDatabaseError } from './db/resolve-database.js';
import { HeldOutput } from './logging/held-output.js';
import { createLogger } from './logging/logger.js';
import { MinyiServer } from './minyi-server.js';
import type { DemoLogin } from './services/demo/demo-seeder.js';
import { TemplateFileError } from './services/surveys/survey-templates.js';

const print = (line: string) => process.stdout.write(`${line}\n`);

/** Keeps the demo sign-ins beside the demo data (readable by this user only), since they are shown once. */
function writeDemoLogins(dataDir: string, logins: DemoLogin[]): string {
  const file = path.join(dataDir, 'demo-logins.txt');
  writeFileSync(file, logins.map((l) => `${l.email}\t${l.password}\t${l.role}\n`).join(''), { mode: 0o600 });
  return file;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // JSON log lines written during start-up follow the start-up text instead of breaking into it.
  const logOutput = new HeldOutput(pino.destination({ sync: false }));
  const logger = createLogger(config.logLevel, logOutput);
  const minyi = new MinyiServer(config, logger, { print });

  let exiting = false;
  const shutdown = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    print(`\n${signal} received: finishing requests and stopping Minyi...`);
    await minyi.stop();
    print('Minyi stopped.');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    const started = await minyi.start();
    if (config.secretSource === 'generated') print(`Secret: generated and kept in ${config.dataDir}/secret.key (set MINYI_SECRET in production).`);
    if (config.secretSource === 'file') print(`Secret: read from ${config.dataDir}/secret.key (set MINYI_SECRET in production).`);
    if (started.demoLogins) {
      print('Demo data: loaded demo bureaus and surveys into the empty database.');
      if (started.demoLogins.length > 0) {
        const file = writeDemoLogins(config.dataDir, started.demoLogins);
        print(`Demo staff sign-in at ${started.url}/staff/login (passwords made for this install, also in ${file}):`);
        for (const login of started.demoLogins) print(`  ${login.email.padEnd(28)} ${login.password}   ${login.role}`);
      }
    }
    print(`Minyi is ready at ${started.url} (Ctrl-C to stop).`);
    logOutput.release();
  } catch (error) {
    await minyi.stop();
    logOutput.release();
    if (error instanceof NoDatabaseError || error instanceof TemplateFileError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`Minyi could not start: ${(error as Error).stack ?? String(error)}\n`);
    }
    process.exit(1);
  }
}

void main();
