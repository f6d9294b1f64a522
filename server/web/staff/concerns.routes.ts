/** Routes of the concerns and "you said, we did" pages, added to the staff router (one line there). */
import type { Router } from 'express';
import type { Container } from '../../container.js';
import { actionsController } from './actions.controller.js';
import { concernsController } from './concerns.controller.js';
import { loadBureau, staffUser } from './staff-pages.js';
import { uploadBody } from './upload-body.js';

/** 18,000 posts of 140 Chinese characters are about 8 MB in UTF-8. */
export const IMPORT_LIMIT_BYTES = 12_000_000;

/** Reads an upload of posts before the CSRF check, which needs its `_csrf` field. Mount before that check. */
export function concernsUploads(router: Router): void {
  router.post('/b/:bureau/concerns/import', uploadBody({ limitBytes: IMPORT_LIMIT_BYTES }));
}

export function concernsRoutes(router: Router, container: Container): void {
  const { views, i18n, audit } = container;
  const read = loadBureau(container.directory, 'read');
  // Changes are for the bureau's own staff (managers and analysts); planners read.
  const staff = loadBureau(container.directory, 'staff');
  // Each page reads every text of the bureau: at most 2 at once per user and 4 per process.
  const heavy = container.heavyRequests.gate((res) => `user:${staffUser(res).id}`);
  const concerns = concernsController({ concerns: container.concerns, audit, views, i18n });
  router.get('/b/:bureau/concerns', read, heavy, concerns.overview);
  router.post('/b/:bureau/concerns/import', staff, heavy, concerns.importPosts);
  router.post('/b/:bureau/concerns/new', staff, concerns.add);
  router.get('/b/:bureau/concerns/:concern', read, heavy, concerns.detail);
  router.post('/b/:bureau/concerns/:concern/rename', staff, concerns.rename);
  router.post('/b/:bureau/concerns/:concern/merge', staff, concerns.merge);
  router.post('/b/:bureau/concerns/:concern/unmerge', staff, concerns.unmerge);
  router.post('/b/:bureau/concerns/:concern/pin', staff, concerns.pin);

  const actions = actionsController({ accountability: container.accountability, audit, views, i18n });
  router.get('/b/:bureau/actions', read, actions.list);
  router.get('/b/:bureau/actions/new', staff, actions.newForm);
  router.post('/b/:bureau/actions', staff, actions.create);
  router.get('/b/:bureau/actions/:actionId/edit', staff, actions.editForm);
  router.post('/b/:bureau/actions/:actionId/edit', staff, actions.edit);
  router.get('/b/:bureau/actions/:actionId/delete', staff, actions.confirmRemove);
  router.post('/b/:bureau/actions/:actionId/delete', staff, actions.remove);
}
