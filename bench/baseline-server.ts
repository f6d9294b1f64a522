/**
 * The baselines `npm run bench` measures Minyi against, in a process of their own (pinned beside Minyi):
 * bare Express doing only the unavoidable part of Minyi's work, at the same paths, with the same survey.
 *
 * - static: the survey page Minyi served, sent as a fixed string;
 * - handlebars: a comparable page rendered by plain Handlebars on every request (bench/lib/handlebars-survey-page.ts);
 * - resident: the resident's three requests without a database: the page with a fresh form token and CSRF
 *   cookie, the vote post parsed, token-checked and validated as Minyi does, and a thank-you page with its receipt.
 *
 * Run as `node --import tsx bench/baseline-server.ts <fixture.json>`; prints one line `ready {...urls}`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import { ValidationError } from '../server/errors/index.js';
import type { Bureau } from '../server/models/bureau.model.js';
import type { Survey } from '../server/models/survey.model.js';
import { AnswerValidatorCache } from '../server/services/surveys/answer-validator.js';
import { createAjv } from '../server/services/validation/ajv.js';
import { CSRF_COOKIE, FormTokens } from '../server/services/voting/form-token.js';
import { Receipts } from '../server/services/voting/receipt.js';
import { parseVoteForm } from '../server/services/voting/vote-form-parser.js';
import { handlebarsSurveyPage } from './lib/handlebars-survey-page.js';

export interface BaselineFixture {
  secret: string;
  bureau: Bureau;
  survey: Survey;
  /** The survey page as Minyi served it, and the form token in it. */
  minyiPage: string;
  minyiToken: string;
}

export interface BaselineUrls {
  static: string;
  handlebars: string;
  resident: string;
}

function bareApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  return app;
}

function residentApp(fixture: BaselineFixture): Express {
  const { bureau, survey, secret } = fixture;
  const surveyId = String(survey._id);
  const path = `/b/${bureau.slug}/s/${survey.slug}`;
  const tokens = new FormTokens(secret);
  const receipts = new Receipts(secret);
  const validators = new AnswerValidatorCache(createAjv());
  const districts = bureau.districts.map((d) => d.id);
  const app = bareApp();
  app.use(cookieParser(secret));
  app.get(path, (req, res) => {
    let csrf = req.cookies?.[CSRF_COOKIE] as string | undefined;
    if (!csrf) {
      csrf = tokens.newCsrfCookie();
      res.cookie(CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'lax', path: '/' });
    }
    res.type('html').send(fixture.minyiPage.replace(fixture.minyiToken, tokens.issue(surveyId, csrf)));
  });
  app.post(path, express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 400 }), (req, res) => {
    const parsed = parseVoteForm(req.body, survey.questions);
    const token = tokens.verify(parsed.token, surveyId, req.cookies?.[CSRF_COOKIE]);
    if (typeof token === 'string') {
      res.status(403).type('text').send(`form token: ${token}`);
      return;
    }
    try {
      validators.get(surveyId, survey.revision, survey.questions, districts).validate(parsed.submission);
      if (parsed.problems.length > 0) throw new ValidationError(parsed.problems);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      res.status(422).json(error.problems);
      return;
    }
    const receipt = receipts.forSubmission(surveyId, token.submissionId);
    res.redirect(303, `${path}/thanks/${receipt}?lang=zh-CN&sig=${receipts.sign(surveyId, receipt)}`);
  });
  app.get(`${path}/thanks/:receipt`, (req, res) => {
    res.type('html').send(`<!doctype html><html lang="zh-CN"><title>谢谢</title><p class="receipt">${String(req.params.receipt).replace(/[^A-Z0-9-]/g, '')}</p></html>`);
  });
  return app;
}

async function listen(app: Express): Promise<string> {
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000; // as Minyi's
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  const fixture = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as BaselineFixture;
  const path = `/b/${fixture.bureau.slug}/s/${fixture.survey.slug}`;
  const staticPage = bareApp();
  staticPage.get(path, (_req, res) => {
    res.type('html').send(fixture.minyiPage);
  });
  const page = handlebarsSurveyPage(fixture.bureau, fixture.survey, 'zh-CN');
  const handlebars = bareApp();
  handlebars.get(path, (_req, res) => {
    // A token as long as Minyi's, but fixed: issuing one is Minyi's work, not this baseline's.
    res.type('html').send(page.render(fixture.minyiToken));
  });
  const urls: BaselineUrls = { static: await listen(staticPage), handlebars: await listen(handlebars), resident: await listen(residentApp(fixture)) };
  process.stdout.write(`ready ${JSON.stringify(urls)}\n`);
}

void main();
