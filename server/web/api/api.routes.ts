/**
 * /api/v1: read-only JSON for staff sessions and per-bureau API tokens. Every answer is JSON, errors
 * included; another bureau's surveys are a 404, as in the workspace.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Types } from 'mongoose';
import type { Container } from '../../container.js';
import { AppError, NotFoundError } from '../../errors/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Survey } from '../../models/survey.model.js';
import { canRead, isBureauStaff, type Principal } from '../../services/accounts/access.js';
import { FilterError, readFilter, readRankCount, scalarField } from '../../services/dashboards/dashboard-filter.js';
import { integrityReport } from '../../services/voting/integrity-report.js';
import type { QuestionResult } from '../../services/dashboards/question-results.js';
import type { CrossTabResult } from '../../services/results/results.service.js';
import { definitionOf } from '../../services/surveys/survey-editor.service.js';
import { effectiveStatus } from '../../services/voting/survey-availability.js';
import { passesOverResponses } from '../shared/heavy-requests.js';
import { addAdviceApiRoutes } from './advice.api.js';
import { openApiDocument } from './openapi.js';

/** Who is calling: a staff member (session) or a bureau (token). */
type Caller = { kind: 'staff'; user: Principal } | { kind: 'token'; bureau: Types.ObjectId };

class UnauthorizedError extends AppError {
  constructor() {
    super(401, 'unauthorized', 'Sign in to the workspace, or send a bureau API token as "Authorization: Bearer minyi_…".', { headers: { 'WWW-Authenticate': 'Bearer realm="minyi"' } });
  }
}

function mayRead(caller: Caller, bureau: Bureau): boolean {
  return caller.kind === 'token' ? String(caller.bureau) === String(bureau._id) : canRead(caller.user, bureau);
}

function seesDrafts(caller: Caller, bureau: Bureau): boolean {
  return caller.kind === 'token' ? String(caller.bureau) === String(bureau._id) : isBureauStaff(caller.user, bureau);
}

/** Question results without the question definitions, for JSON. */
function plainResult(result: QuestionResult): Record<string, unknown> {
  const { question, ...rest } = result;
  return { id: question.id, type: question.type, ...rest, ...('items' in rest ? { items: rest.items.map(({ label: _label, ...item }) => item) } : {}), ...('rows' in rest ? { rows: rest.rows.map(({ label: _label, ...row }) => row) } : {}) };
}

/** A cross-tab for JSON: n, base and row share per cell, labels in both languages. */
function plainCrossTab(slug: string, table: CrossTabResult): Record<string, unknown> {
  return {
    survey: slug,
    filter: table.filter,
    rows: table.rows,
    cols: table.cols,
    total: table.total,
    base: table.base,
    smallCellThreshold: table.smallCellThreshold,
    columns: table.columns,
    cells: table.lines.map((line) => ({ row: line.id, label: line.label, base: line.base, protected: line.protected, mean: line.mean, cells: line.cells.map((cell) => ({ col: cell.id, n: cell.n, base: line.base, rowShare: cell.rowShare, protected: cell.protected })) })),
    chiSquare: table.chiSquare,
  };
}

export function apiRoutes(container: Container, session: RequestHandler[]): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.locals.api = true;
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(container.config.publicUrl));
  });

  const authenticate: RequestHandler = async (req, res, next) => {
    const header = req.get('authorization');
    if (header?.startsWith('Bearer ')) {
      const bureau = await container.apiTokens.authenticate(header.slice(7).trim());
      if (!bureau) throw new UnauthorizedError();
      res.locals.caller = { kind: 'token', bureau } satisfies Caller;
      return next();
    }
    if (res.locals.user) {
      res.locals.caller = { kind: 'staff', user: res.locals.user as Principal } satisfies Caller;
      return next();
    }
    throw new UnauthorizedError();
  };
  router.use(...session, authenticate);

  const caller = (res: Response) => res.locals.caller as Caller;

  async function loadSurvey(req: Request, res: Response): Promise<{ bureau: Bureau; survey: Survey }> {
    const found = /^[a-z0-9-]{1,60}$/.test(String(req.params.bureau)) && /^[a-z0-9-]{1,60}$/.test(String(req.params.survey))
      ? await container.directory.find(String(req.params.bureau), String(req.params.survey))
      : null;
    if (!found || !mayRead(caller(res), found.bureau) || (found.survey.status === 'draft' && !seesDrafts(caller(res), found.bureau))) throw new NotFoundError();
    return found;
  }

  const summary = async (bureau: Bureau, survey: Survey) => ({
    bureau: bureau.slug,
    slug: survey.slug,
    template: survey.template,
    title: survey.title,
    status: effectiveStatus(survey),
    opensAt: survey.opensAt,
    closesAt: survey.closesAt,
    responses: await container.editor.responseCount(survey),
  });

  router.get('/surveys', async (_req, res) => {
    const bureaus = (await container.models.Bureau.find().lean<Bureau[]>()).filter((b) => mayRead(caller(res), b));
    const surveys = [];
    for (const bureau of bureaus) {
      for (const survey of await container.editor.list(bureau, seesDrafts(caller(res), bureau))) surveys.push(await summary(bureau, survey));
    }
    res.json({ surveys });
  });

  router.get('/surveys/:bureau/:survey', async (req, res) => {
    const { bureau, survey } = await loadSurvey(req, res);
    res.json({ ...(await summary(bureau, survey)), definition: definitionOf(survey) });
  });

  const who = (res: Response) => {
    const c = caller(res);
    return c.kind === 'staff' ? `user:${c.user.id}` : `token:${String(c.bureau)}`;
  };
  router.get('/surveys/:bureau/:survey/results', container.heavyRequests.gate(who, passesOverResponses, { queue: true }), async (req, res) => {
    const { bureau, survey } = await loadSurvey(req, res);
    const filter = readFilter(req.query as Record<string, unknown>, survey.questions, bureau);
    const results = await container.results.results({ survey, bureau, filter, view: 'api' });
    // Vote checks count every attempt, whatever the filters (like the dashboard's panel).
    const integrity = integrityReport(results.integrity, container.voteWatch.report(String(survey._id)));
    res.json({ survey: survey.slug, total: results.total, filter, smallCellProtected: results.smallCell, smallCellThreshold: results.smallCellThreshold, byDay: results.byDay, byDistrict: results.byDistrict, byChannel: results.byChannel, questions: results.questions.map(plainResult), integrity });
  });

  router.get('/surveys/:bureau/:survey/crosstab', container.heavyRequests.gate(who, () => true, { queue: true }), async (req, res) => {
    const { bureau, survey } = await loadSurvey(req, res);
    const query = req.query as Record<string, unknown>;
    const filter = readFilter(query, survey.questions, bureau, ['rows', 'cols', 'rank']);
    const rows = scalarField(query, 'rows');
    const cols = scalarField(query, 'cols');
    if (!rows) throw new FilterError('rows', 'required: the id of the question whose answers make the rows.');
    if (!cols) throw new FilterError('cols', 'required: the id of the question whose answers make the columns.');
    const table = await container.results.crossTab({ survey, bureau, filter, rows, cols, rank: readRankCount(query), view: 'api' });
    res.json(plainCrossTab(survey.slug, table));
  });

  const responses = (format: 'json' | 'csv'): RequestHandler => async (req, res) => {
    const { bureau, survey } = await loadSurvey(req, res);
    const filter = readFilter(req.query as Record<string, unknown>, survey.questions, bureau);
    const who = caller(res);
    await container.audit.record({
      actor: who.kind === 'staff' ? who.user : null,
      actorEmail: who.kind === 'token' ? 'api token' : undefined,
      action: 'export',
      bureau: bureau._id,
      target: { kind: 'survey', id: String(survey._id), label: survey.slug },
      details: { via: 'api', format, filter },
    });
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    await pipeline(format === 'csv' ? container.exporter.responsesCsv({ survey, bureau, filter, locale: survey.defaultLocale }, 'codes') : container.exporter.responsesJson({ survey, filter }), res);
  };
  router.get('/surveys/:bureau/:survey/responses', container.heavyRequests.gate(who), responses('json'));
  router.get('/surveys/:bureau/:survey/responses.csv', container.heavyRequests.gate(who), responses('csv'));

  addAdviceApiRoutes(router, { cases: container.adviceCases, directory: container.directory, mayRead: (res, bureau) => mayRead(caller(res), bureau) });
  router.use((_req, _res, next) => next(new NotFoundError('No such API route.')));
  return router;
}
