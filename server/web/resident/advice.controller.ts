/**
 * The advice box (/b/:bureau/advice), its success page, the tracking page (/track/:code) with the satisfaction
 * question once the bureau replied, and the rating page of one-time codes sent by SMS (/rate/:code). All
 * server-rendered and usable without JavaScript.
 */
import type { Request, RequestHandler, Response } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import { SATISFACTION_RATINGS } from '../../models/advice.model.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Models } from '../../models/index.js';
import { ADVICE_TEXT_MAX, COMMENT_MAX, CONTACT_MAX, type AdviceFormValues, type AdviceProblem } from '../../services/advice/advice-form.js';
import { adviceFormScope, type AdviceBox, type RatingOutcome } from '../../services/advice/advice-box.service.js';
import { formatCode, readCode } from '../../services/advice/tracking-codes.js';
import { CSRF_COOKIE, type FormTokenPayload, type FormTokens } from '../../services/voting/form-token.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { formatDate, isSlug, pageLocale } from './resident-pages.js';

export interface AdviceControllerDeps {
  directory: SurveyDirectory;
  adviceBox: AdviceBox;
  models: Pick<Models, 'Bureau'>;
  tokens: FormTokens;
  views: ViewRenderer;
  i18n: I18n;
  secureCookies: boolean;
}

/** As on survey pages: the browser's maxlength counts UTF-16 units, so it is set high enough for any text of MAX code points. */
const inputMaxLength = (characters: number) => 2 * characters;

export function adviceController(deps: AdviceControllerDeps) {
  const text = (value: { 'zh-CN': string; en: string }, locale: Locale) => value[locale] || value['zh-CN'];
  const t = (locale: Locale, key: string, params?: Record<string, unknown>) => deps.i18n.translate(locale, key, params);

  function csrfCookie(req: Request, res: Response): string {
    const existing = req.cookies?.[CSRF_COOKIE];
    if (typeof existing === 'string' && /^[A-Za-z0-9_-]{22}$/.test(existing)) return existing;
    const fresh = deps.tokens.newCsrfCookie();
    res.cookie(CSRF_COOKIE, fresh, { httpOnly: true, sameSite: 'lax', secure: deps.secureCookies, path: '/' });
    return fresh;
  }

  /** The bureau of /b/:bureau/advice when it has an advice box (at least one category); else a 404. */
  async function adviceBureau(req: Request): Promise<Bureau> {
    const bureau = isSlug(req.params.bureau) ? await deps.directory.bureau(req.params.bureau) : null;
    if (!bureau || bureau.adviceCategories.length === 0) throw new NotFoundError();
    return bureau;
  }

  function renderForm(req: Request, res: Response, bureau: Bureau, locale: Locale, options: { values?: AdviceFormValues; problems?: AdviceProblem[]; token?: Pick<FormTokenPayload, 'submissionId' | 'issuedAt'>; notice?: string; status?: number; published?: Awaited<ReturnType<AdviceBox['published']>> } = {}): void {
    const values = options.values ?? { category: '', district: '', text: '', contact: '', contactConsent: false, publish: '' };
    const problems = options.problems ?? [];
    const errorOf = (field: AdviceProblem['field']) => {
      const problem = problems.find((p) => p.field === field);
      return problem ? t(locale, `advice.errors.${field}.${problem.reason}`, problem.params) : null;
    };
    const fieldIds: Record<AdviceProblem['field'], string> = { category: 'advice-category', district: 'advice-district', text: 'advice-text', contact: 'advice-contact', publish: 'advice-publish-yes' };
    const categoryName = new Map(bureau.adviceCategories.map((c) => [c.id, text(c.name, locale)]));
    const districtName = new Map(bureau.districts.map((d) => [d.id, text(d.name, locale)]));
    const errors = { category: errorOf('category'), district: errorOf('district'), text: errorOf('text'), contact: errorOf('contact'), publish: errorOf('publish') };
    const errorSummary = (Object.keys(errors) as Array<keyof typeof errors>).filter((k) => errors[k]).map((k) => ({ href: `#${fieldIds[k]}`, message: errors[k] }));
    const cookie = csrfCookie(req, res);
    const token = options.token ? deps.tokens.issue(adviceFormScope(bureau), cookie, options.token.submissionId, options.token.issuedAt) : deps.tokens.issue(adviceFormScope(bureau), cookie);
    const title = t(locale, 'advice.form.title');
    res.setHeader('Cache-Control', 'no-store');
    renderPage(
      deps.views,
      res,
      'pages/resident/advice/form',
      {
        pageTitle: errorSummary.length > 0 ? `${t(locale, 'advice.errorPrefix')}${title}` : title,
        bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
        action: `/b/${bureau.slug}/advice`,
        formToken: token,
        notice: options.notice,
        errorSummary,
        errors,
        categories: bureau.adviceCategories.map((c) => ({ id: c.id, label: text(c.name, locale), selected: c.id === values.category })),
        districts: bureau.districts.map((d) => ({ id: d.id, label: text(d.name, locale), selected: d.id === values.district })),
        values,
        publishYes: values.publish === 'yes',
        publishNo: values.publish === 'no',
        textMax: ADVICE_TEXT_MAX,
        textInputMax: inputMaxLength(ADVICE_TEXT_MAX),
        contactInputMax: inputMaxLength(CONTACT_MAX),
        replyDays: bureau.replyWorkingDays,
        published: (options.published ?? []).map((item) => ({
          category: categoryName.get(item.category) ?? item.category,
          district: item.district ? (districtName.get(item.district) ?? null) : null,
          text: item.text,
          reply: item.reply,
          date: formatDate(item.receivedAt, locale, bureau.timezone),
        })),
      },
      { status: options.status ?? 200, locale },
    );
  }

  const show: RequestHandler = async (req, res) => {
    const bureau = await adviceBureau(req);
    renderForm(req, res, bureau, pageLocale(res, bureau.defaultLocale), { published: await deps.adviceBox.published(bureau) });
  };

  const submit: RequestHandler = async (req, res) => {
    const bureau = await adviceBureau(req);
    const locale = pageLocale(res, bureau.defaultLocale);
    const outcome = await deps.adviceBox.submit({ bureau, body: req.body ?? {}, csrfCookie: req.cookies?.[CSRF_COOKIE], clientAddress: req.ip, locale });
    switch (outcome.kind) {
      case 'accepted':
        return res.redirect(303, `/b/${bureau.slug}/advice/sent/${outcome.code}?lang=${locale}`);
      case 'invalid':
        return renderForm(req, res, bureau, locale, { values: outcome.values, problems: outcome.problems, token: outcome.token, status: 422 });
      case 'too-fast':
        return renderForm(req, res, bureau, locale, { values: outcome.values, token: outcome.token, status: 422, notice: t(locale, 'survey.tooFast') });
    }
  };

  const sent: RequestHandler = async (req, res) => {
    const bureau = await adviceBureau(req);
    const locale = pageLocale(res, bureau.defaultLocale);
    const tracked = await deps.adviceBox.track(String(req.params.code), req.ip);
    if (!tracked || String(tracked.bureau) !== String(bureau._id)) throw new NotFoundError();
    const code = formatCode(readCode(req.params.code)!);
    res.setHeader('Cache-Control', 'no-store');
    renderPage(deps.views, res, 'pages/resident/advice/sent', {
      pageTitle: t(locale, 'advice.sent.title'),
      bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
      code,
      trackHref: `/track/${code}`,
      dueOn: formatDate(tracked.dueAt, locale, bureau.timezone),
    }, { locale });
  };

  const lookup: RequestHandler = async (req, res) => {
    const locale = res.locals.locale as Locale;
    const typed = typeof req.query.code === 'string' ? req.query.code : undefined;
    if (typed !== undefined) {
      const code = readCode(typed);
      if (code) return res.redirect(303, `/track/${formatCode(code)}`);
    }
    res.setHeader('Cache-Control', 'no-store');
    renderPage(deps.views, res, 'pages/resident/advice/lookup', { pageTitle: t(locale, 'advice.lookup.title'), error: typed !== undefined ? t(locale, 'advice.lookup.invalid') : null, typed: typed?.slice(0, 40) ?? '' }, { status: typed !== undefined ? 422 : 200, locale });
  };

  async function bureauById(id: unknown): Promise<Bureau> {
    const bureau = await deps.models.Bureau.findById(id).lean<Bureau>();
    if (!bureau) throw new NotFoundError();
    return bureau;
  }

  /** The three-way rating form, the same on the tracking page and the page of a satisfaction code. */
  function ratingForm(locale: Locale, options: { problem?: string; comment?: string }) {
    return {
      ratings: SATISFACTION_RATINGS.map((rating) => ({ value: rating, id: `rating-${rating}`, label: t(locale, `advice.rating.${rating}`) })),
      problem: options.problem ? t(locale, `advice.rating.errors.${options.problem}`, { max: COMMENT_MAX }) : null,
      comment: options.comment ?? '',
      commentMax: COMMENT_MAX,
      commentInputMax: inputMaxLength(COMMENT_MAX),
    };
  }

  async function renderTrack(req: Request, res: Response, options: { status?: number; problem?: string; comment?: string } = {}): Promise<void> {
    const tracked = await deps.adviceBox.track(String(req.params.code), req.ip);
    if (!tracked) throw new NotFoundError();
    const bureau = await bureauById(tracked.bureau);
    const locale = pageLocale(res, bureau.defaultLocale);
    const code = formatCode(readCode(req.params.code)!);
    const category = bureau.adviceCategories.find((c) => c.id === tracked.category);
    const district = bureau.districts.find((d) => d.id === tracked.district);
    const date = (d: Date | null) => (d ? formatDate(d, locale, bureau.timezone) : null);
    res.setHeader('Cache-Control', 'no-store');
    renderPage(deps.views, res, 'pages/resident/advice/track', {
      pageTitle: t(locale, 'advice.track.title'),
      bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
      code,
      action: `/track/${code}/rate`,
      status: t(locale, `advice.status.${tracked.status}`),
      statusHint: t(locale, `advice.statusHint.${tracked.status}`),
      category: category ? text(category.name, locale) : tracked.category,
      district: district ? text(district.name, locale) : null,
      text: tracked.text,
      receivedOn: date(tracked.receivedAt),
      dueOn: date(tracked.dueAt),
      reply: tracked.reply,
      repliedOn: date(tracked.repliedAt),
      mayRate: tracked.mayRate,
      rated: tracked.rated,
      justRated: req.query.rated === '1' && tracked.rated,
      ...ratingForm(locale, options),
    }, { status: options.status ?? 200, locale });
  }

  const track: RequestHandler = async (req, res) => renderTrack(req, res);

  /** The outcome of a rating post: back to the page (303) when stored or already stored, the form again otherwise. */
  function afterRating(outcome: RatingOutcome, req: Request, res: Response, back: string, again: (status: number, problem?: string) => Promise<void>): Promise<void> | void {
    switch (outcome.kind) {
      case 'rated':
        return res.redirect(303, `${back}?rated=1`);
      case 'already-rated':
        return again(409, 'already');
      case 'not-yet':
        return again(409, 'notYet');
      case 'invalid':
        return again(422, outcome.problem);
    }
  }

  const rateCase: RequestHandler = async (req, res) => {
    const tracked = await deps.adviceBox.track(String(req.params.code), req.ip);
    if (!tracked) throw new NotFoundError();
    const bureau = await bureauById(tracked.bureau);
    const outcome = await deps.adviceBox.rateCase(String(req.params.code), req.body ?? {}, bureau);
    const code = formatCode(readCode(req.params.code)!);
    const comment = typeof req.body?.comment === 'string' ? req.body.comment : '';
    await afterRating(outcome, req, res, `/track/${code}`, (status, problem) => renderTrack(req, res, { status, problem, comment }));
  };

  async function renderRate(req: Request, res: Response, options: { status?: number; problem?: string; comment?: string } = {}): Promise<void> {
    const found = await deps.adviceBox.satisfactionCode(String(req.params.code), req.ip);
    if (!found) throw new NotFoundError();
    const bureau = await bureauById(found.bureau);
    const locale = pageLocale(res, bureau.defaultLocale);
    const code = formatCode(readCode(req.params.code)!);
    res.setHeader('Cache-Control', 'no-store');
    renderPage(deps.views, res, 'pages/resident/advice/rate', {
      pageTitle: t(locale, 'advice.rate.title'),
      bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
      action: `/rate/${code}`,
      used: found.used,
      justRated: req.query.rated === '1' && found.used,
      ...ratingForm(locale, options),
    }, { status: options.status ?? 200, locale });
  }

  const rateForm: RequestHandler = async (req, res) => renderRate(req, res);

  const rateWithCode: RequestHandler = async (req, res) => {
    const found = await deps.adviceBox.satisfactionCode(String(req.params.code), req.ip);
    if (!found) throw new NotFoundError();
    const bureau = await bureauById(found.bureau);
    const outcome = await deps.adviceBox.rateWithCode(String(req.params.code), req.body ?? {}, bureau);
    const code = formatCode(readCode(req.params.code)!);
    const comment = typeof req.body?.comment === 'string' ? req.body.comment : '';
    await afterRating(outcome, req, res, `/rate/${code}`, (status, problem) => renderRate(req, res, { status, problem, comment }));
  };

  return { show, submit, sent, lookup, track, rateCase, rateForm, rateWithCode };
}
