/** The sharing kit (links, QR codes, poster, microblog post, embed snippet) and invitation-code batches of a survey. */
import type { Request, RequestHandler, Response } from 'express';
import { NotFoundError } from '../../errors/index.js';
import type { I18n, Locale } from '../../i18n/i18n.js';
import type { Survey } from '../../models/survey.model.js';
import type { AuditLog } from '../../services/audit/audit-log.js';
import { characterCount, type ShareKit } from '../../services/sharing/share-kit.js';
import type { SurveyEditor } from '../../services/surveys/survey-editor.service.js';
import type { InvitationCodes } from '../../services/voting/invitation-codes.js';
import { effectiveStatus } from '../../services/voting/survey-availability.js';
import { formatDate, formatDateTime } from '../resident/resident-pages.js';
import { renderPage } from '../shared/render-page.js';
import type { ViewRenderer } from '../shared/view-renderer.js';
import { bureauNav, currentBureau, renderConfirmPage, renderStaffPage, staffUser } from './staff-pages.js';

export function sharingController(deps: { editor: SurveyEditor; shareKit: ShareKit; codes: InvitationCodes; audit: AuditLog; views: ViewRenderer; i18n: I18n }) {
  const t = (res: Response, key: string, params?: Record<string, unknown>) => deps.i18n.translate(res.locals.locale as Locale, key, params);
  const at = (res: Response, survey: Pick<Survey, 'slug'>) => `/staff/b/${currentBureau(res).slug}/surveys/${survey.slug}`;

  async function loadSurvey(req: Request, res: Response): Promise<Survey> {
    const slug = String(req.params.survey);
    const survey = /^[a-z0-9-]{1,60}$/.test(slug) ? await deps.editor.find(currentBureau(res), slug) : null;
    if (!survey) throw new NotFoundError();
    return survey;
  }

  const sharePage: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const locale = res.locals.locale as Locale;
    const base = at(res, survey);
    renderStaffPage(deps.views, res, 'pages/staff/share', {
      pageTitle: t(res, 'staff.share.title', { title: survey.title[locale] }),
      bureauNav: bureauNav(res, 'surveys', (key) => t(res, key)),
      surveyTitle: survey.title[locale],
      surveyHref: base,
      isOpen: effectiveStatus(survey) === 'open',
      url: deps.shareKit.surveyUrl(bureau, survey),
      shortUrl: deps.shareKit.shortUrl(survey),
      qrSvg: `${base}/qr.svg`,
      qrPng: `${base}/qr.png`,
      posterZh: `${base}/poster?lang=zh-CN`,
      posterEn: `${base}/poster?lang=en`,
      posts: (['zh-CN', 'en'] as const).map((postLocale) => {
        const text = deps.shareKit.microblogPost(bureau, survey, postLocale);
        return { locale: postLocale, label: postLocale === 'zh-CN' ? '中文' : 'English', text, count: characterCount(text) };
      }),
      embed: deps.shareKit.embedSnippet(bureau, survey, locale),
      scripts: ['/static/js/staff.js'],
    });
  };

  const qrSvg: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    res.setHeader('Content-Disposition', `inline; filename="${survey.slug}-qr.svg"`);
    res.type('image/svg+xml').send(await deps.shareKit.qrSvg(deps.shareKit.shortUrl(survey)));
  };

  const qrPng: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    res.setHeader('Content-Disposition', `attachment; filename="${survey.slug}-qr.png"`);
    res.type('image/png').send(await deps.shareKit.qrPng(deps.shareKit.shortUrl(survey)));
  };

  const poster: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const locale: Locale = req.query.lang === 'en' ? 'en' : 'zh-CN';
    renderPage(deps.views, res, 'pages/staff/poster', {
      pageTitle: survey.title[locale],
      bureauName: bureau.name[locale],
      title: survey.title[locale],
      description: survey.description[locale],
      // When, in the bureau's own time zone and the poster's language: a poster outlives the page it came from.
      opens: survey.opensAt ? deps.i18n.translate(locale, 'staff.share.posterOpens', { date: formatDateTime(survey.opensAt, locale, bureau.timezone) }) : null,
      closes: survey.closesAt ? deps.i18n.translate(locale, 'staff.share.posterCloses', { date: formatDateTime(survey.closesAt, locale, bureau.timezone) }) : null,
      qrSvg: `${at(res, survey)}/qr.svg`,
      shortUrl: deps.shareKit.shortUrl(survey).replace(/^https?:\/\//, ''),
    }, { layout: 'poster', locale });
  };

  function renderCodes(res: Response, survey: Survey, batches: Awaited<ReturnType<InvitationCodes['batches']>>, extra: Record<string, unknown> = {}, status = 200) {
    const locale = res.locals.locale as Locale;
    const bureau = currentBureau(res);
    renderStaffPage(deps.views, res, 'pages/staff/codes', {
      pageTitle: t(res, 'staff.codes.title', { title: survey.title[locale] }),
      bureauNav: bureauNav(res, 'surveys', (key) => t(res, key)),
      surveyTitle: survey.title[locale],
      surveyHref: at(res, survey),
      isInvitation: survey.settings.votePolicy === 'invitation',
      action: `${at(res, survey)}/codes`,
      count: 100,
      batches: batches.map((b) => ({ ...b, expiresAt: b.expiresAt ? formatDate(b.expiresAt, locale, bureau.timezone) : '', revokeHref: `${at(res, survey)}/codes/${encodeURIComponent(b.batch)}/revoke` })),
      ...extra,
    }, status);
  }

  const codesPage: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    renderCodes(res, survey, await deps.codes.batches(survey._id), { flash: req.query.done === 'revoked' ? t(res, 'staff.codes.revokedDone') : undefined });
  };

  /** Generates a batch and sends it as a CSV download: the only time the codes exist in clear text. */
  const generateCodes: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const bureau = currentBureau(res);
    const count = Number(req.body?.count);
    const expires = typeof req.body?.expires === 'string' ? req.body.expires.trim() : '';
    const expiresAt = expires ? new Date(`${expires}T23:59:59+08:00`) : null;
    const problems = [];
    if (!Number.isInteger(count) || count < 1 || count > 100_000) problems.push('Enter a number of codes from 1 to 100000.');
    if (expires && (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(expiresAt!.getTime()) || expiresAt! <= new Date())) problems.push('Enter a date in the future, or leave it empty.');
    if (problems.length > 0) {
      return renderCodes(res, survey, await deps.codes.batches(survey._id), { problems, count: req.body?.count, expires }, 422);
    }
    const { batch, codes } = await deps.codes.generate(survey._id, count, { expiresAt });
    await deps.audit.record({ actor: staffUser(res), action: 'codes.generate', bureau: bureau._id, target: { kind: 'survey', id: String(survey._id), label: survey.slug }, details: { batch, count, expiresAt } });
    const link = deps.shareKit.surveyUrl(bureau, survey);
    res.setHeader('Content-Disposition', `attachment; filename="${survey.slug}-codes-${batch}.csv"`);
    res.type('text/csv; charset=utf-8').send(`\uFEFFcode,link\r\n${codes.map((code) => `${code},${link}?code=${code}`).join('\r\n')}\r\n`);
  };

  const confirmRevokeBatch: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const batch = String(req.params.batch);
    if (!(await deps.codes.batches(survey._id)).some((b) => b.batch === batch)) throw new NotFoundError();
    renderConfirmPage(deps.views, req, res, {
      question: t(res, 'staff.confirm.revokeCodes.question', { batch }),
      consequence: t(res, 'staff.confirm.revokeCodes.consequence'),
      confirmLabel: t(res, 'staff.confirm.revokeCodes.button'),
      cancelHref: `${at(res, survey)}/codes`,
    });
  };

  const revokeBatch: RequestHandler = async (req, res) => {
    const survey = await loadSurvey(req, res);
    const batch = String(req.params.batch);
    const revoked = await deps.codes.revoke(survey._id, batch);
    if (revoked === 0) throw new NotFoundError();
    await deps.audit.record({ actor: staffUser(res), action: 'codes.revoke', bureau: currentBureau(res)._id, target: { kind: 'survey', id: String(survey._id), label: survey.slug }, details: { batch, codes: revoked } });
    res.redirect(303, `${at(res, survey)}/codes?done=revoked`);
  };

  return { sharePage, qrSvg, qrPng, poster, codesPage, generateCodes, confirmRevokeBatch, revokeBatch };
}

