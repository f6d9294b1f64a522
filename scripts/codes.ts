/**
 * npm run codes -- --survey <bureau>/<survey> --count N [--expires YYYY-MM-DD] [--batch name]
 * Prints a CSV of new one-time invitation codes with their personal links. The codes are shown this once:
 * only their hashes are stored.
 */
import { parseFlags, withDatabase } from './with-database.js';

const usage = 'Usage: npm run codes -- --survey <bureau-slug>/<survey-slug> --count <1-100000> [--expires YYYY-MM-DD] [--batch name]';
const flags = parseFlags(process.argv.slice(2));
const [bureauSlug, surveySlug] = (flags.get('survey') ?? '').split('/');
const count = Number(flags.get('count'));
const expires = flags.get('expires');
const expiresAt = expires ? new Date(`${expires}T23:59:59+08:00`) : null;
if (!bureauSlug || !surveySlug || !Number.isInteger(count) || count < 1 || count > 100_000 || (expiresAt && Number.isNaN(expiresAt.getTime()))) {
  console.error(usage);
  process.exit(2);
}

const exitCode = await withDatabase(async (container) => {
  const found = await container.directory.find(bureauSlug, surveySlug);
  if (!found) {
    console.error(`No survey ${surveySlug} in bureau ${bureauSlug}.`);
    return 1;
  }
  if (found.survey.settings.votePolicy !== 'invitation') {
    console.error(`Note: survey ${bureauSlug}/${surveySlug} accepts votes without a code (vote policy "${found.survey.settings.votePolicy}"); codes are only asked for on invitation-only surveys.`);
  }
  const { batch, codes } = await container.codes.generate(found.survey._id, count, { expiresAt, batch: flags.get('batch') });
  const base = `${container.config.publicUrl}/b/${bureauSlug}/s/${surveySlug}`;
  process.stdout.write('code,link\n');
  process.stdout.write(codes.map((code) => `${code},${base}?code=${code}`).join('\n') + '\n');
  console.error(`${codes.length} codes in batch ${batch}${expiresAt ? `, valid until ${expires}` : ''}.`);
  return 0;
});
process.exit(exitCode);
