/** Bureau staff's survey pages: list, create, overview with lifecycle actions, builder, preview, export. */
import type { Request, RequestHandler, Response } from 'express';
import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { Survey } from '../../models/survey.model.js';
import { canManage, isBureauStaff } from '../../services/accounts/access.js';
import { longWords } from '../../services/surveys/long-words.js';
import { definitionOf, LIFECYCLE, type LifecycleAction, type SurveyEditor } from '../../services/surveys/survey-editor.service.js';
import type { SurveyTemplate } from '../../services/surveys/survey-templates.js';
import { dateToZonedWallTime, zonedWallTimeToDate } from '../../services/surveys/zoned-time.js';
import { effectiveStatus } from '../../services/voting/survey-availability.js';
import type { RawForm } from '../../services/voting/vote-form-parser.js';
import { buildSurveyFormModel } from '../resident/survey-form.view-model.js';
import { formatDate } from '../resident/resident-pages.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { builderDrafts } from './builder-drafts.js';
import { applyBuilderAction, formToDefinition } from './builder-form.js';
import { problemsToFields } from './builder-messages.js';
import { buildBuilderModel } from './builder.view-model.js';
import { bureauNav, currentBureau, renderStaffPage, staffUser, renderConfirmPage } from './staff-pages.js';

export interface SurveysControllerDeps {
  editor: SurveyEditor;
  templates: Map<string, SurveyTemplate>;
  views: ViewRenderer;
  i18n: I18n;
  publicUrl: string;
}

const DONE_MESSAGES = new Set(['saved', 'created', 'deleted', 'transitioned']);

/** Transitions that end voting: asked before they are done. */
const CONFIRMED_TRANSITIONS: LifecycleAction[] = ['close', 'archive'];

export function surveysController(deps: SurveysControllerDeps) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);
  const base = (res: Response) => `/staff/b/${currentBureau(res).slug}`;
  const surveyBase = (res: Response, survey: Pick<Survey, 'slug'>) => `${base(res)}/surveys/${survey.slug}`;
  const flash = (req: Request, res: Response) => (typeof req.query.done === 'string' && DONE_MESSAGES.has(req.query.done) ? t(res, `staff.surveys.${req.query.done}`, { status: '' }).replace(/[:：]\s*\.?$/, '.') : undefined);
  const page = (res: Response, view: string, model: Record<string, unknown>, status = 200) =>
    renderStaffPage(deps.views, res, view, { ...model, bureauNav: bureauNav(res, 'surveys', (key) => t(res, key)) }, status);

  /** The survey of :survey in the current bureau; drafts exist only for the bureau's own staff. */
  async function loadSurvey(req: Request, res: Response): Promise<Survey> {
    const slug = String(req.params.survey);
    const survey = /^[a-z0-9-]{1,60}$/.test(slug) ? await deps.editor.find(currentBureau(res), slug) : null;
    if (!survey || (survey.status === 'draft' && !isBureauStaff(staffUser(res), currentBureau(res)))) throw new NotFoundError();
    return survey;
  }

  const list: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const user = staffUser(res);
    const locale = res.locals.locale as Locale;
    const surveys = await deps.editor.list(bureau, isBureauStaff(user, bureau));
    const counts = await Promise.all(surveys.map((s) => deps.editor.responseCount(s)));
    page(res, 'pages/staff/surveys', {
      pageTitle: t(res, 'staff.surveys.title'),
      flash: flash(req, res),
      canManage: canManage(user, bureau),
      newHref: `${base(res)}/surveys/new`,
      surveys: surveys.map((survey, i) => {
        const status = effectiveStatus(survey);
        return {
          href: surveyBase(res, survey),
          title: survey.title[locale],
          slug: survey.slug,
          status,
          statusLabel: t(res, `staff.surveys.statusName.${status}`),
          responses: counts[i],
          opens: survey.opensAt ? formatDate(survey.opensAt, locale, bureau.timezone) : '',
          closes: survey.closesAt ? formatDate(survey.closesAt, locale, bureau.timezone) : '',
        };
      }),
    });
  };

  function renderNew(res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const locale = res.locals.locale as Locale;
    page(res, 'pages/staff/survey-new', {
      pageTitle: t(res, 'staff.surveys.new'),
      action: `${base(res)}/surveys`,
      templates: [...deps.templates.values()].map((template) => ({ slug: template.slug, title: template.definition.title[locale], description: template.definition.description[locale] })),
      ...extra,
    }, status);
  }

  const newForm: RequestHandler = (_req, res) => renderNew(res);

  const create: RequestHandler = async (req, res) => {
    const bureau = currentBureau(res);
    const user = staffUser(res);
    const source = req.body?.source;
    try {
      let survey: Survey;
      if (source === 'template') {
        survey = await deps.editor.createFromTemplate(bureau, String(req.body.template ?? ''), user);
      } else if (source === 'import') {
        survey = await deps.editor.create(bureau, parseJson(String(req.body.definitionJson ?? '')), user);
      } else {
        const slug = String(req.body?.slug ?? '').trim();
        survey = await deps.editor.create(bureau, blankDefinition(slug), user);
      }
      res.redirect(303, `${surveyBase(res, survey)}/edit?done=created`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      renderNew(res, { problems: error.problems.map((p) => `${p.pointer || '/'}: ${p.message}`), definitionJson: req.body?.definitionJson, slug: req.body?.slug }, 422);
    }
  };

  const overview: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    renderOverview(req, res, survey);
  };

  async function renderOverview(req: Request, res: Response, survey: Survey, extra: Record<string, unknown> = {}, status = 200) {
    const bureau = currentBureau(res);
    const user = staffUser(res);
    const locale = res.locals.locale as Locale;
    const state = effectiveStatus(survey);
    const at = surveyBase(res, survey);
    const responses = await deps.editor.responseCount(survey);
    const labels: Record<LifecycleAction, string> = { open: 'openNow', close: 'closeNow', reopen: 'reopen', archive: 'archive', unschedule: 'unschedule', schedule: 'schedule' };
    const transitions = LIFECYCLE[state]
      .filter((action) => action !== 'schedule')
      .map((action) => ({ href: `${at}/lifecycle/${action}`, label: t(res, `staff.surveys.${labels[action]}`), danger: action === 'close', confirm: CONFIRMED_TRANSITIONS.includes(action) }));
    transitions.push({ href: `${at}/duplicate`, label: t(res, 'staff.surveys.duplicate'), danger: false, confirm: false });
    if (survey.status === 'draft' && responses === 0) transitions.push({ href: `${at}/delete`, label: t(res, 'staff.surveys.delete'), danger: true, confirm: true });
    page(res, 'pages/staff/survey', {
      pageTitle: survey.title[locale],
      flash: flash(req, res),
      listHref: base(res),
      title: survey.title[locale],
      status: state,
      statusLabel: t(res, `staff.surveys.statusName.${state}`),
      responses,
      revision: survey.revision,
      template: survey.template,
      publicUrl: `${deps.publicUrl}/b/${bureau.slug}/s/${survey.slug}`,
      canManage: canManage(user, bureau),
      canEdit: canManage(user, bureau) && state !== 'archived',
      canSchedule: LIFECYCLE[state].includes('schedule'),
      isOpen: state === 'open',
      timezone: bureau.timezone,
      opensAt: dateToZonedWallTime(survey.opensAt, bureau.timezone),
      closesAt: dateToZonedWallTime(survey.closesAt, bureau.timezone),
      transitions,
      links: {
        results: `${at}/results`,
        edit: `${at}/edit`,
        previewZh: `${at}/preview?preview=zh-CN`,
        previewEn: `${at}/preview?preview=en`,
        export: `${at}/export.json`,
        share: `${at}/share`,
        codes: `${at}/codes`,
        schedule: `${at}/schedule`,
      },
      ...extra,
    }, status);
  }

  function renderBuilder(req: Request, res: Response, survey: Survey, definition: Record<string, unknown>, options: { errors?: Map<string, string>; unsaved?: boolean; conflict?: string; locked: boolean; flash?: string; jsonText?: string }, status = 200) {
    const locale = res.locals.locale as Locale;
    page(res, 'pages/staff/builder', {
      pageTitle: t(res, 'staff.builder.title', { title: survey.title[locale] }),
      surveyTitle: survey.title[locale],
      surveyHref: surveyBase(res, survey),
      builder: buildBuilderModel({
        definition,
        errors: options.errors ?? new Map(),
        bureau: currentBureau(res),
        locale,
        translate: (key, params) => t(res, key, params),
        action: `${surveyBase(res, survey)}/edit`,
        previewHref: `${surveyBase(res, survey)}/preview`,
        jsonText: options.jsonText,
      }),
      unsaved: options.unsaved,
      conflict: options.conflict,
      locked: options.locked,
      flash: options.flash,
      longWords: longWords(definition).map((word) => ([...word].length > 60 ? `${[...word].slice(0, 57).join('')}…` : word)),
      scripts: ['/static/js/staff.js'],
    }, status);
  }

  const editForm: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    if (survey.status === 'archived') throw new NotFoundError();
    const locked = await deps.editor.hasAnswers(survey);
    const draft = builderDrafts.get(req, String(survey._id));
    const done = req.query.done === 'discarded' ? t(res, 'staff.builder.discarded') : flash(req, res);
    renderBuilder(req, res, survey, draft ?? (structuredClone(definitionOf(survey)) as unknown as Record<string, unknown>), { locked, unsaved: draft !== undefined, flash: done });
  };

  /**
   * Every button but "save" changes the unsaved work kept in the session and redirects to the question it
   * changed (#question-N), so the page opens where the author was and a reload sends nothing again.
   */
  const edit: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    if (survey.status === 'archived') throw new NotFoundError();
    const locked = await deps.editor.hasAnswers(survey);
    const action = String(req.body?.action ?? 'save');
    const editHref = `${surveyBase(res, survey)}/edit`;
    const translate = (key: string, params?: Record<string, unknown>) => t(res, key, params);
    const key = String(survey._id);
    if (action === 'discard') {
      await builderDrafts.discard(req, key);
      return res.redirect(303, `${editHref}?done=discarded`);
    }
    if (action === 'import') {
      let imported: Record<string, unknown>;
      try {
        imported = parseJson(String(req.body.definitionJson ?? '')) as Record<string, unknown>;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const current = builderDrafts.get(req, key) ?? (structuredClone(definitionOf(survey)) as unknown as Record<string, unknown>);
        return renderBuilder(req, res, survey, current, { errors: problemsToFields(error.problems, translate), locked, unsaved: builderDrafts.get(req, key) !== undefined, jsonText: String(req.body.definitionJson ?? '') }, 422);
      }
      await builderDrafts.put(req, key, imported);
      return res.redirect(303, editHref);
    }
    const definition = formToDefinition((req.body ?? {}) as RawForm);
    if (action !== 'save') {
      const target = applyBuilderAction(definition, action, req.body?.newType);
      if (target === null) throw new NotFoundError();
      await builderDrafts.put(req, key, definition);
      return res.redirect(303, `${editHref}#${target >= 0 ? `question-${target}` : 'questions'}`);
    }
    try {
      const saved = await deps.editor.update(survey, definition, staffUser(res));
      await builderDrafts.discard(req, key);
      res.redirect(303, `${surveyBase(res, saved)}/edit?done=saved`);
    } catch (error) {
      if (!(error instanceof ValidationError) && !(error instanceof ConflictError)) throw error;
      // Kept, so that a reload or a look at another page does not lose what was typed.
      await builderDrafts.put(req, key, definition);
      if (error instanceof ValidationError) return renderBuilder(req, res, survey, definition, { errors: problemsToFields(error.problems, translate), unsaved: true, locked }, 422);
      const conflict = error.code === 'structure_locked'
        ? t(res, 'staff.builder.errors.structureLocked', { questions: ((error.details as { questions?: string[] } | undefined)?.questions ?? []).join(', ') })
        : error.message;
      return renderBuilder(req, res, survey, definition, { conflict, unsaved: true, locked }, 409);
    }
  };

  /** GET of a transition that ends voting: the question before it (see renderConfirmPage). */
  const confirmLifecycle: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const action = String(req.params.action) as LifecycleAction;
    if (!CONFIRMED_TRANSITIONS.includes(action)) throw new NotFoundError();
    const title = survey.title[res.locals.locale as Locale];
    renderConfirmPage(deps.views, req, res, {
      question: t(res, `staff.confirm.${action}.question`, { title }),
      consequence: t(res, `staff.confirm.${action}.consequence`),
      confirmLabel: t(res, `staff.confirm.${action}.button`),
      cancelHref: surveyBase(res, survey),
    });
  };

  const confirmRemove: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    renderConfirmPage(deps.views, req, res, {
      question: t(res, 'staff.confirm.deleteDraft.question', { title: survey.title[res.locals.locale as Locale] }),
      consequence: t(res, 'staff.confirm.deleteDraft.consequence'),
      confirmLabel: t(res, 'staff.confirm.deleteDraft.button'),
      cancelHref: surveyBase(res, survey),
    });
  };

  const lifecycle: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const action = String(req.params.action) as LifecycleAction;
    if (!['open', 'close', 'reopen', 'archive', 'unschedule'].includes(action)) throw new NotFoundError();
    await runTransition(req, res, survey, action);
  };

  const schedule: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const zone = currentBureau(res).timezone;
    const raw = (name: string) => (typeof req.body?.[name] === 'string' ? req.body[name].trim() : '');
    const read = (name: string) => (raw(name) ? zonedWallTimeToDate(raw(name), zone) : null);
    // A time that does not parse is a mistake to show, not "no time": it must not clear a closing time.
    const unreadable = ['opensAt', 'closesAt'].filter((name) => raw(name) && !read(name));
    // What was typed stays in the form, and the problem is told in the page's language.
    const typed = { opensAt: raw('opensAt'), closesAt: raw('closesAt') };
    if (unreadable.length > 0) {
      return renderOverview(req, res, survey, { ...typed, problems: unreadable.map((name) => t(res, 'staff.builder.schedule.unreadable', { field: t(res, `staff.surveys.${name}`) })) }, 422);
    }
    await runTransition(req, res, survey, 'schedule', { opensAt: read('opensAt'), closesAt: read('closesAt') }, typed);
  };

  async function runTransition(req: Request, res: Response, survey: Survey, action: LifecycleAction, times?: { opensAt: Date | null; closesAt: Date | null }, typed: Record<string, string> = {}) {
    try {
      const updated = await deps.editor.transition(survey, action, staffUser(res), times);
      res.redirect(303, `${surveyBase(res, updated)}?done=transitioned`);
    } catch (error) {
      if (error instanceof ConflictError) return renderOverview(req, res, survey, { conflict: error.message }, 409);
      if (error instanceof ValidationError) {
        const scheduleKeys: Record<string, string> = { 'opens-in-past': 'opensInPast', 'closes-before-opens': 'closesBeforeOpens', 'closes-in-past': 'closesInPast' };
        const problems = error.problems.map((p) => (p.reason && scheduleKeys[p.reason] ? t(res, `staff.builder.schedule.${scheduleKeys[p.reason]}`) : p.message));
        return renderOverview(req, res, survey, { ...typed, problems }, 422);
      }
      throw error;
    }
  }

  const duplicate: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const copy = await deps.editor.duplicate(survey, staffUser(res));
    res.redirect(303, `${surveyBase(res, copy)}/edit?done=created`);
  };

  const remove: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    try {
      await deps.editor.remove(survey, staffUser(res));
    } catch (error) {
      if (error instanceof ConflictError) return renderOverview(req, res, survey, { conflict: error.message }, 409);
      throw error;
    }
    res.redirect(303, `${base(res)}?done=deleted`);
  };

  const exportJson: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const body = { $schema: './schemas/survey-definition.schema.json', ...definitionOf(survey) };
    res.setHeader('Content-Disposition', `attachment; filename="${survey.slug}.json"`);
    res.type('application/json').send(`${JSON.stringify(body, null, 2)}\n`);
  };

  /**
   * Exactly the resident's page, in the language asked for, with a banner and a form that sends nothing.
   * The language comes from its own ?preview= parameter, not ?lang=, which would also switch (and remember
   * in a cookie) the whole workspace's language.
   */
  const preview: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const locale = (req.query.preview === 'en' ? 'en' : req.query.preview === 'zh-CN' ? 'zh-CN' : survey.defaultLocale) as Locale;
    res.setHeader('Cache-Control', 'no-store');
    // The builder shows this page in a frame beside the form: only our own pages may frame it.
    res.setHeader('Content-Security-Policy', String(res.getHeader('Content-Security-Policy') ?? '').replace("frame-ancestors 'none'", "frame-ancestors 'self'"));
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    renderPage(deps.views, res, 'pages/resident/survey', { ...buildSurveyFormModel({ bureau, survey, locale }), preview: { back: surveyBase(res, survey) }, formToken: 'preview', codeValue: '' }, { locale });
  };

  return { list, newForm, create, overview, editForm, edit, confirmLifecycle, lifecycle, schedule, duplicate, confirmRemove, remove, exportJson, preview };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError([{ pointer: '', message: `is not valid JSON: ${(error as Error).message}`, reason: 'json' }], 'The definition is not valid JSON.');
  }
}

/** A valid starting point: one question to edit, in both languages. */
function blankDefinition(slug: string): Record<string, unknown> {
  return {
    slug,
    defaultLocale: 'zh-CN',
    title: { 'zh-CN': '新问卷', en: 'New survey' },
    description: { 'zh-CN': '', en: '' },
    settings: { votePolicy: 'browser', publicResults: 'after-close', anonymity: 'anonymous' },
    questions: [
      { id: 'q1', type: 'single', title: { 'zh-CN': '第一个问题', en: 'First question' }, required: true, options: [{ id: 'a', label: { 'zh-CN': '选项一', en: 'Option one' } }, { id: 'b', label: { 'zh-CN': '选项二', en: 'Option two' } }] },
    ],
  };
}
