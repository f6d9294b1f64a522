/** The survey page, the vote post and the thank-you page: the resident's path from a poster's QR code to a receipt. */
import type { Request, RequestHandler, Response } from 'express';
import { NotFoundError } from '../../errors/index.js';
import { isLocale, type I18n, type Locale } from '../../i18n/i18n.js';
import type { Bureau } from '../../models/bureau.model.js';
import type { Survey } from '../../models/survey.model.js';
import { CSRF_COOKIE, type FormTokenPayload, type FormTokens } from '../../services/voting/form-token.js';
import { RECEIPT_PATTERN, type Receipts } from '../../services/voting/receipt.js';
import { closedAt } from '../../services/voting/survey-availability.js';
import type { SurveyDirectory } from '../../services/voting/survey-directory.js';
import type { VoteService } from '../../services/voting/vote.service.js';
import { parseVoteForm, type RawForm } from '../../services/voting/vote-form-parser.js';
import { slot, type RenderedPageCache } from '../shared/rendered-page-cache.js';
import { languageLinks } from '../shared/locale.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { findAnnouncedSurvey, findPublishedSurvey, formatDate, formatDateTime, pageLocale, publicResultsHref } from './resident-pages.js';
import { buildSurveyFormModel, surveyPath } from './survey-form.view-model.js';
import { questionErrors } from './vote-error-messages.js';

export interface SurveyControllerDeps {
  directory: SurveyDirectory;
  votes: VoteService;
  tokens: FormTokens;
  receipts: Receipts;
  views: ViewRenderer;
  i18n: I18n;
  pageCache: RenderedPageCache;
  secureCookies: boolean;
}

const TOKEN_SLOT = slot('FORM_TOKEN');
const CODE_SLOT = slot('CODE');
const RECEIPT_SLOT = slot('RECEIPT');
const SIGNATURE_SLOT = slot('SIGNATURE');
/** Pages whose query holds only these can come from the page cache; anything else is rendered as asked. */
const onlyQueryKeys = (req: Request, keys: readonly string[]) => Object.keys(req.query).every((key) => keys.includes(key));
const YEAR_MS = 365 * 24 * 3600 * 1000;

/** The name of the language buttons on the form: they post the answers so far, to be shown again in that language. */
const SWITCH_LANGUAGE_FIELD = '_lang';

/** The header's language switch on the form page: buttons that post the form (see switchLanguage), not links. */
const languageButtons = (action: string, locale: Locale) =>
  languageLinks(action, locale).map((link) => ({ ...link, formAction: `${action}?lang=${link.locale}`, form: 'survey-form', field: SWITCH_LANGUAGE_FIELD }));

const votedCookieName = (survey: Pick<Survey, '_id'>) => `mv_${String(survey._id)}`;

const escapeAttribute = (value: string) =>
  value.replace(/[&<>"'`=]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);

function csrfCookie(req: Request, res: Response, tokens: FormTokens, secure: boolean): string {
  const existing = req.cookies?.[CSRF_COOKIE];
  if (typeof existing === 'string' && /^[A-Za-z0-9_-]{22}$/.test(existing)) return existing;
  const fresh = tokens.newCsrfCookie();
  res.cookie(CSRF_COOKIE, fresh, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  return fresh;
}

function votedReceipt(req: Request, survey: Pick<Survey, '_id'>): string | undefined {
  const value = req.signedCookies?.[votedCookieName(survey)];
  return typeof value === 'string' && RECEIPT_PATTERN.test(value) ? value : undefined;
}

export function surveyController(deps: SurveyControllerDeps) {
  const text = (t: { 'zh-CN': string; en: string }, locale: Locale) => t[locale] || t['zh-CN'];

  function renderClosed(res: Response, bureau: Bureau, survey: Survey, locale: Locale, status: number, full = false): void {
    renderPage(
      deps.views,
      res,
      'pages/resident/closed',
      {
        pageTitle: deps.i18n.translate(locale, 'vote.closed.title'),
        bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
        surveyTitle: text(survey.title, locale),
        closedOn: formatDate(closedAt(survey), locale, bureau.timezone),
        full,
        resultsHref: publicResultsHref(bureau, survey, 'closed'),
      },
      { status, locale },
    );
  }

  /** A survey announced ahead of its opening (a poster printed in advance): what it is and when it opens. */
  function renderScheduled(res: Response, bureau: Bureau, survey: Survey, locale: Locale, status: number): void {
    const when = (date: Date) => formatDateTime(date, locale, bureau.timezone);
    renderPage(
      deps.views,
      res,
      'pages/resident/scheduled',
      {
        pageTitle: text(survey.title, locale),
        bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
        surveyTitle: text(survey.title, locale),
        description: text(survey.description, locale),
        opens: survey.opensAt ? deps.i18n.translate(locale, 'vote.scheduled.opens', { date: when(survey.opensAt) }) : deps.i18n.translate(locale, 'vote.scheduled.opensLater'),
        closes: survey.closesAt ? deps.i18n.translate(locale, 'vote.scheduled.closes', { date: when(survey.closesAt) }) : null,
      },
      { status, locale },
    );
  }

  function renderAlreadyVoted(res: Response, bureau: Bureau, survey: Survey, locale: Locale, receipt: string | undefined, status: number): void {
    renderPage(
      deps.views,
      res,
      'pages/resident/already-voted',
      {
        pageTitle: deps.i18n.translate(locale, 'vote.already.title'),
        bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
        receipt,
        resultsHref: publicResultsHref(bureau, survey, 'open'),
      },
      { status, locale },
    );
  }

  /** The form, rendered once per survey revision and language; tokens are filled in per request. */
  function sendForm(req: Request, res: Response, bureau: Bureau, survey: Survey, locale: Locale, code: string): void {
    const token = deps.tokens.issue(String(survey._id), csrfCookie(req, res, deps.tokens, deps.secureCookies));
    const render = () => {
      const model = { ...buildSurveyFormModel({ bureau, survey, locale }), formToken: TOKEN_SLOT, codeValue: CODE_SLOT };
      return deps.views.render('pages/resident/survey', { ...model, locale, languageLinks: languageButtons(surveyPath(bureau, survey), locale) });
    };
    const values = { [TOKEN_SLOT]: token, [CODE_SLOT]: escapeAttribute(code) };
    // The bureau's name and districts are on the page too: an edit of either, here or in another process, is a new key.
    const key = `form:${String(survey._id)}:${survey.revision}:${String(survey.updatedAt?.getTime())}:${String(bureau.updatedAt?.getTime())}:${locale}`;
    const page = onlyQueryKeys(req, ['lang']) ? deps.pageCache.getOrRender(key, render).fill(values) : Buffer.from(render().replace(TOKEN_SLOT, token).replace(CODE_SLOT, values[CODE_SLOT]!));
    // The busiest page: its headers are written directly (res.send would inspect the body to find them).
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', page.length);
    res.end(page);
  }

  /** The form again after a mistake: the resident's answers kept, errors summarised and beside each field. */
  function resendForm(req: Request, res: Response, bureau: Bureau, survey: Survey, locale: Locale, options: { values: RawForm; token: Pick<FormTokenPayload, 'submissionId' | 'issuedAt'>; status: number; problems?: Parameters<typeof questionErrors>[1]; codeProblem?: string; notice?: string }): void {
    const errors = questionErrors(survey.questions, options.problems ?? [], deps.i18n, locale);
    const codeError = options.codeProblem ? deps.i18n.translate(locale, `vote.errors.code${options.codeProblem[0]!.toUpperCase()}${options.codeProblem.slice(1)}`) : undefined;
    const model = buildSurveyFormModel({ bureau, survey, locale, values: options.values, errors, codeError, notice: options.notice });
    const hasErrors = model.errorSummary.length > 0;
    res.setHeader('Cache-Control', 'no-store');
    renderPage(
      deps.views,
      res,
      'pages/resident/survey',
      {
        ...model,
        languageLinks: languageButtons(surveyPath(bureau, survey), locale),
        pageTitle: hasErrors ? `${locale === 'en' ? 'Error: ' : '错误：'}${model.pageTitle}` : model.pageTitle,
        // The same submission, served at the same time as the first form: a resident who fixes one answer and
        // sends it at once is not taken for a script.
        formToken: deps.tokens.issue(String(survey._id), csrfCookie(req, res, deps.tokens, deps.secureCookies), options.token.submissionId, options.token.issuedAt),
        codeValue: typeof options.values.code === 'string' ? options.values.code : '',
      },
      { status: options.status, locale },
    );
  }

  /**
   * A language button of the form page: the same form in the other language, with the answers typed so far
   * (works without JavaScript). Nothing is stored; the form keeps its submission id and the time it was served.
   */
  function switchLanguage(req: Request, res: Response, bureau: Bureau, survey: Survey, locale: Locale, body: Record<string, unknown>): void {
    const form = parseVoteForm(body, survey.questions);
    const verified = deps.tokens.verify(form.token, String(survey._id), req.cookies?.[CSRF_COOKIE]);
    const token = typeof verified === 'string' ? { submissionId: deps.tokens.newSubmissionId(), issuedAt: Date.now() } : verified;
    resendForm(req, res, bureau, survey, locale, { values: form.raw, token, status: 200 });
  }

  const show: RequestHandler = async (req, res) => {
    const { bureau, survey, status } = await findAnnouncedSurvey(deps.directory, req);
    const locale = pageLocale(res, survey.defaultLocale);
    if (status === 'scheduled') return renderScheduled(res, bureau, survey, locale, 200);
    if (status === 'closed') return renderClosed(res, bureau, survey, locale, 200);
    if (survey.settings.votePolicy === 'browser') {
      const receipt = votedReceipt(req, survey);
      if (receipt) return renderAlreadyVoted(res, bureau, survey, locale, receipt, 200);
    }
    const code = typeof req.query.code === 'string' ? req.query.code.slice(0, 20) : '';
    sendForm(req, res, bureau, survey, locale, code);
  };

  const vote: RequestHandler = async (req, res) => {
    const { bureau, survey, status } = await findAnnouncedSurvey(deps.directory, req);
    const locale = pageLocale(res, survey.defaultLocale);
    if (status === 'scheduled') return renderScheduled(res, bureau, survey, locale, 409);
    const { [SWITCH_LANGUAGE_FIELD]: switchTo, ...body } = (req.body ?? {}) as Record<string, unknown>;
    if (isLocale(switchTo) && status === 'open') return switchLanguage(req, res, bureau, survey, switchTo, body);
    const outcome = await deps.votes.submit({
      published: { bureau, survey },
      body,
      csrfCookie: req.cookies?.[CSRF_COOKIE],
      votedReceipt: survey.settings.votePolicy === 'browser' ? votedReceipt(req, survey) : undefined,
      clientAddress: req.ip,
      locale,
    });
    switch (outcome.kind) {
      case 'accepted':
        if (survey.settings.votePolicy === 'browser') {
          res.cookie(votedCookieName(survey), outcome.receipt, { signed: true, httpOnly: true, sameSite: 'lax', secure: deps.secureCookies, maxAge: YEAR_MS, path: surveyPath(bureau, survey) });
        }
        return res.redirect(303, `${surveyPath(bureau, survey)}/thanks/${outcome.receipt}?lang=${locale}&sig=${deps.receipts.sign(String(survey._id), outcome.receipt)}`);
      case 'invalid':
        return resendForm(req, res, bureau, survey, locale, { values: outcome.form.raw, token: outcome.token, problems: outcome.problems, status: 422 });
      case 'too-fast':
        return resendForm(req, res, bureau, survey, locale, { values: outcome.form.raw, token: outcome.token, status: 422, notice: deps.i18n.translate(locale, 'survey.tooFast') });
      case 'code-refused':
        return resendForm(req, res, bureau, survey, locale, { values: outcome.form.raw, token: outcome.token, status: outcome.problem === 'used' ? 409 : 422, codeProblem: outcome.problem });
      case 'already-voted':
        return renderAlreadyVoted(res, bureau, survey, locale, outcome.receipt, 409);
      case 'closed':
        return renderClosed(res, bureau, survey, locale, 409, survey.closesAt === null || survey.closesAt > new Date());
    }
  };

  const thanks: RequestHandler = async (req, res) => {
    const { bureau, survey, status } = await findPublishedSurvey(deps.directory, req);
    // The link is signed when the vote is accepted, so this page needs no lookup and cannot be made up.
    const receipt = String(req.params.receipt);
    const signature = req.query.sig;
    if (!RECEIPT_PATTERN.test(receipt) || !deps.receipts.verify(String(survey._id), receipt, signature)) throw new NotFoundError();
    const locale = pageLocale(res, survey.defaultLocale);
    const model = (shownReceipt: string) => ({
      pageTitle: deps.i18n.translate(locale, 'vote.thanks.title'),
      receipt: shownReceipt,
      thankYou: survey.settings.thankYou ? text(survey.settings.thankYou, locale) : null,
      resultsHref: publicResultsHref(bureau, survey, status),
      resultsAfterClose: survey.settings.publicResults === 'after-close',
      bureau: { name: text(bureau.name, locale), href: `/b/${bureau.slug}` },
    });
    res.setHeader('Cache-Control', 'no-store');
    if (!onlyQueryKeys(req, ['lang', 'sig'])) return renderPage(deps.views, res, 'pages/resident/thanks', model(receipt), { locale });
    // Receipts and signatures are made of [0-9A-Z-] and base64url characters: nothing to escape.
    const page = deps.pageCache.getOrRender(`thanks:${String(survey._id)}:${survey.revision}:${String(survey.updatedAt?.getTime())}:${String(bureau.updatedAt?.getTime())}:${status}:${locale}`, () =>
      deps.views.render('pages/resident/thanks', { ...model(RECEIPT_SLOT), locale, languageLinks: languageLinks(`${surveyPath(bureau, survey)}/thanks/${RECEIPT_SLOT}?sig=${SIGNATURE_SLOT}`, locale) }),
    );
    res.type('html').send(page.fill({ [RECEIPT_SLOT]: receipt, [SIGNATURE_SLOT]: String(signature) }));
  };

  return { show, vote, thanks };
}
