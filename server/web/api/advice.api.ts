/** /api/v1/bureaus/:bureau/advice: the bureau's advice cases as JSON, read-only, with the queue's filters. */
import type { Response, Router } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { Bureau } from '../../models/bureau.model.js';
import { readCaseFilter, type AdviceCases } from '../../services/advice/advice-cases.service.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';

export function addAdviceApiRoutes(router: Router, deps: { cases: AdviceCases; directory: SurveyDirectory; mayRead: (res: Response, bureau: Bureau) => boolean }): void {
  async function loadBureau(slug: unknown, res: Response): Promise<Bureau> {
    const bureau = typeof slug === 'string' && /^[a-z0-9-]{1,60}$/.test(slug) ? await deps.directory.bureau(slug) : null;
    if (!bureau || !deps.mayRead(res, bureau)) throw new NotFoundError();
    return bureau;
  }

  router.get('/bureaus/:bureau/advice', async (req, res) => {
    const bureau = await loadBureau(req.params.bureau, res);
    const filter = readCaseFilter(req.query as Record<string, unknown>);
    const cases = await deps.cases.exportRows(bureau, filter);
    res.json({
      bureau: bureau.slug,
      replyWorkingDays: bureau.replyWorkingDays,
      categories: bureau.adviceCategories,
      filter,
      cases,
    });
  });
}
