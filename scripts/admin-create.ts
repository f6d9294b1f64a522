/**
 * npm run admin:create -- --email you@bureau.gov.cn --name "Your Name" [--password ...]
 * Creates a platform administrator. Without --password it asks for one (input hidden) or reads it from
 * standard input. There is no default password.
 */
import { createInterface } from 'node:readline';
import { ValidationError } from '../server/errors/index.js';
import { parseFlags, withDatabase } from './with-database.js';

const flags = parseFlags(process.argv.slice(2));
const email = flags.get('email');
const name = flags.get('name') ?? email?.split('@')[0];
if (!email || !name) {
  console.error('Usage: npm run admin:create -- --email <email> --name "<name>" [--password <password>]');
  process.exit(2);
}

async function askPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stderr.write('Password (at least 10 characters, not a common one): ');
    // Hide what is typed: readline would echo it.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve) => rl.once('line', resolve));
  rl.close();
  if (process.stdin.isTTY) process.stderr.write('\n');
  return line;
}

const password = flags.get('password') ?? (await askPassword());
const exitCode = await withDatabase(async (container) => {
  try {
    const admin = await container.accounts.create({ email, name, password, roles: [{ role: 'admin' }] });
    await container.audit.record({ actor: admin, action: 'user.create', target: { kind: 'user', id: admin.id, label: admin.email }, details: { role: 'admin', via: 'command line' } });
    console.log(`Administrator ${admin.email} created. Sign in at ${container.config.publicUrl}/staff/login`);
    return 0;
  } catch (error) {
    if (error instanceof ValidationError) {
      for (const problem of error.problems) console.error(`${problem.pointer.slice(1)}: ${problem.message}`);
      return 1;
    }
    console.error((error as Error).message);
    return 1;
  }
});
process.exit(exitCode);
