/** The resident's advice routes: the advice box, tracking and satisfaction pages. */
import express, { Router } from 'express';
import type { Container } from '../../container.js';
import { adviceController } from './advice.controller.js';

export function adviceRoutes(container: Container): Router {
  const router = Router();
  const advice = adviceController({
    directory: container.directory,
    adviceBox: container.adviceBox,
    models: container.models,
    tokens: container.tokens,
    views: container.views,
    i18n: container.i18n,
    secureCookies: container.config.publicUrl.startsWith('https:'),
  });
  // 2,000 characters of Chinese take about 18 kB urlencoded.
  const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 20 });
  router.get('/b/:bureau/advice', advice.show);
  router.post('/b/:bureau/advice', formBody, advice.submit);
  router.get('/b/:bureau/advice/sent/:code', advice.sent);
  router.get('/track', advice.lookup);
  router.get('/track/:code', advice.track);
  router.post('/track/:code/rate', formBody, advice.rateCase);
  router.get('/rate/:code', advice.rateForm);
  router.post('/rate/:code', formBody, advice.rateWithCode);
  return router;
}
