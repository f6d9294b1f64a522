/**
 * npm run tallies:verify -- --survey <bureau>/<survey>   (or --all)
 * Recomputes tallies from raw responses and reports every difference; exits 1 if there is one.
 */
import type { Types } from 'mongoose';
import { TallyVerifier } from '../server/services/tallies/tally-verifier.js';
import { parseFlags, withDatabase } from './with-database.js';

const flags = parseFlags(process.argv.slice(2));
const target = flags.get('survey');
if (!target && !flags.has('all')) {
  console.error('Usage: npm run tallies:verify -- --survey <bureau-slug>/<survey-slug> | --all');
  process.exit(2);
}

const exitCode = await withDatabase(async (container) => {
  const verifier = new TallyVerifier(container.models, container.tallies);
  let surveys: Array<{ _id: Types.ObjectId; label: string }>;
  if (target) {
    const [bureau, survey] = target.split('/');
    const found = bureau && survey ? await container.directory.find(bureau, survey) : null;
    if (!found) {
      console.error(`No survey ${target}.`);
      return 1;
    }
    surveys = [{ _id: found.survey._id, label: target }];
  } else {
    surveys = (await container.models.Survey.find({}, { slug: 1 }).lean()).map((s) => ({ _id: s._id, label: s.slug }));
  }
  // Votes left pending by a crash are counted first; younger ones may still be on their way in a running server.
  await container.tallyWriter.recoverPending();
  let failed = 0;
  for (const survey of surveys) {
    const { responses, tallyTotal, differences } = await verifier.verify(survey._id);
    if (differences.length === 0) {
      console.log(`ok    ${survey.label}: ${responses} responses, tallies match`);
    } else {
      failed += 1;
      console.log(`FAIL  ${survey.label}: ${responses} responses, tally total ${tallyTotal}, ${differences.length} counters differ:`);
      for (const d of differences.slice(0, 50)) console.log(`        ${d.path}: tally ${d.tally}, recomputed ${d.recomputed}`);
    }
  }
  return failed > 0 ? 1 : 0;
});
process.exit(exitCode);
