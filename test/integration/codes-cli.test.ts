/** npm run codes: a real process against the run's database, printing CSV of codes whose hashes alone are stored. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../server/paths.js';
import { createBureauWithSurvey } from '../utils/resident.js';
import { dumpDatabase } from '../utils/database-dump.js';
import { createTestApp, type TestApp } from '../utils/test-app.js';
import { scaled } from '../utils/time.js';

const run = promisify(execFile);
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const cli = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/codes.ts', ...args], {
    cwd: projectRoot(),
    env: { ...process.env, MONGODB_URI: uriOf(t), MINYI_SECRET: t.config.secret, LOG_LEVEL: 'silent', MINYI_PUBLIC_URL: 'https://minyi.example.cn' },
  });

function uriOf(app: TestApp): string {
  const { host, port, name } = app.container.database.connection;
  return `mongodb://${host}:${port}/${name}`;
}

describe('npm run codes', () => {
  it('prints a CSV of codes with personal links, and stores only their hashes', async () => {
    const { survey } = await createBureauWithSurvey(t.container, { mutate: (d) => { d.settings.votePolicy = 'invitation'; } });
    const { stdout, stderr } = await cli(['--survey', 'test-bureau/every-type', '--count', '5', '--expires', '2030-01-31']);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('code,link');
    expect(lines).toHaveLength(6);
    for (const line of lines.slice(1)) {
      const [code, link] = line.split(',');
      expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(link).toBe(`https://minyi.example.cn/b/test-bureau/s/every-type?code=${code}`);
      expect(await t.container.models.InvitationCode.countDocuments({ _id: t.container.codes.hash(code!), survey: survey._id })).toBe(1);
    }
    expect(stderr).toContain('5 codes in batch');
    const stored = await t.container.models.InvitationCode.find({ survey: survey._id }).lean();
    expect(stored.every((c) => c.expiresAt?.toISOString() === '2030-01-31T15:59:59.000Z')).toBe(true);
    expect(stored).toHaveLength(5);
    const dump = await dumpDatabase(t);
    for (const line of lines.slice(1)) expect(dump).not.toContain(line.split(',')[0]);
  }, scaled(60_000));

  it('explains its usage and exits 2 on bad arguments, 1 on an unknown survey', async () => {
    await expect(cli(['--survey', 'x'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: npm run codes') });
    await expect(cli(['--survey', 'test-bureau/none', '--count', '1'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('No survey none in bureau test-bureau') });
  }, scaled(60_000));
});
