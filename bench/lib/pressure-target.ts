/** The survey the pressure run's residents vote on, and the bench's own view of Minyi's database. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mongoose, { type Types } from 'mongoose';
import { createModels, type Models } from '../../server/models/index.js';
import type { Question } from '../../server/models/survey-definition.types.js';
import { projectRoot } from '../../server/paths.js';
import { demoBureaus } from '../../server/services/demo/demo-bureaus.js';
import type { ResidentTarget } from './residents.js';

export const BUREAU = 'huzhou-police';
export const SURVEY = 'top-public-security-concerns';

/** The survey at `url` (Minyi, or the proxy in front of several). */
export function residentTarget(url: string): ResidentTarget {
  const template = JSON.parse(readFileSync(path.join(projectRoot(), 'surveys', `${SURVEY}.json`), 'utf8')) as { questions: Question[] };
  const bureau = demoBureaus.find((b) => b.slug === BUREAU)!;
  return { url, path: `/b/${BUREAU}/s/${SURVEY}`, questions: template.questions, districtIds: bureau.districts.map((d) => d.id) };
}

/** Models on Minyi's database, for counting what it stored. */
export async function openDatabase(uri: string): Promise<{ models: Models; close(): Promise<void> }> {
  const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  return { models: createModels(connection), close: () => connection.close() };
}

export async function surveyId(models: Models): Promise<Types.ObjectId> {
  const bureau = await models.Bureau.findOne({ slug: BUREAU }, { _id: 1 }).lean();
  const survey = await models.Survey.findOne({ bureau: bureau!._id, slug: SURVEY }, { _id: 1 }).lean();
  return survey!._id;
}

/** The demo administrator's sign-in, which Minyi prints when it creates the demo data. */
export function demoAdmin(output: string): { email: string; password: string } {
  const admin = /(admin@minyi\.demo)\s+(\S+)/.exec(output);
  if (!admin) throw new Error(`Minyi printed no demo sign-in:\n${output}`);
  return { email: admin[1]!, password: admin[2]! };
}
