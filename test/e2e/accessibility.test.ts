/**
 * Every resident page, in both languages, through axe-core: no violation of any impact, the right
 * <html lang>, a survey form light enough for a cheap phone, and no request leaving Minyi's own host.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result } from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Locale } from '../../server/models/survey-definition.types.js';
import { demoBureaus } from '../../server/services/demo/demo-bureaus.js';
import { everyTypeDefinition } from '../fixtures/survey-definitions.js';
import { launchBrowser, PHONE, screenshotPath, startMinyi, type RunningMinyi } from '../utils/browser.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const LOCALES: Locale[] = ['zh-CN', 'en'];
const DEMO_FORMS = demoBureaus.flatMap((bureau) => bureau.surveys.map((survey) => `/b/${bureau.slug}/s/${survey}`));
const VOTED_SURVEY = '/b/huzhou-police/s/top-public-security-concerns';
const CLOSED_SURVEY = '/b/huzhou-police/s/last-year';
const SCHEDULED_SURVEY = '/b/huzhou-police/s/next-year';
const MAX_FORM_BYTES = 30 * 1024;
// What a phone downloads: the script readable in full, sent gzipped (about 3 KB).
const MAX_WIRE_BYTES = 4 * 1024;

let minyi: RunningMinyi;
let browser: Browser;
/** Per language, a browser that has not voted; axe is injected as an inline script, so these ignore the CSP. */
const fresh = new Map<Locale, BrowserContext>();
/** A browser that has voted once (for the thank-you and already-voted pages), its receipt and thank-you address. */
let voted: BrowserContext;
let receipt: string;
let thanksPath: string;
const requested: string[] = [];
const openPages: Page[] = [];

function describeViolations(violations: Result[]): string {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`).join('\n')}`)
    .join('\n');
}

/** Runs axe on the page as it stands and fails on any violation, whatever its impact. */
async function audit(page: Page, locale: Locale): Promise<void> {
  await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe(locale);
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, { resultTypes: ['violations'] }));
  expect(results.violations, `axe found on ${page.url()}:\n${describeViolations(results.violations)}`).toEqual([]);
}

/**
 * A phone browser for the audits. withoutSurveyScript: the page as residents without JavaScript get it; axe
 * needs scripts itself, so only Minyi's script is kept out.
 */
async function newContext(options: { withoutSurveyScript?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ ...PHONE, bypassCSP: true });
  context.on('request', (request) => requested.push(request.url()));
  if (options.withoutSurveyScript) await context.route('**/static/js/survey.js', (route) => route.abort());
  return context;
}

async function visit(context: BrowserContext, path: string, locale: Locale, status = 200): Promise<Page> {
  const page = await context.newPage();
  openPages.push(page);
  const response = await page.goto(`${minyi.baseUrl}${path}${path.includes('?') ? '&' : '?'}lang=${locale}`);
  expect(response?.status(), path).toBe(status);
  return page;
}

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const { container } = minyi.test;
  const huzhou = await container.bureaus.findBySlug('huzhou-police');
  const lastYear = { ...everyTypeDefinition(), slug: 'last-year' };
  await container.surveys.createFromDefinition(huzhou._id, container.definitionValidator.validate(lastYear), {
    status: 'open',
    opensAt: new Date('2025-01-01T00:00:00Z'),
    closesAt: new Date('2025-03-01T00:00:00Z'),
  });
  await container.surveys.createFromDefinition(huzhou._id, container.definitionValidator.validate({ ...everyTypeDefinition(), slug: 'next-year' }), {
    status: 'scheduled',
    opensAt: new Date('2099-01-01T00:00:00Z'),
    closesAt: null,
  });
  for (const locale of LOCALES) fresh.set(locale, await newContext());

  // One vote, by hand, for the receipt pages.
  voted = await newContext();
  const page = await visit(voted, VOTED_SURVEY, 'zh-CN');
  await page.selectOption('#q-district-input', 'wuxing');
  await page.check('#q-neighbourhood-safety-input');
  await page.check('#q-victim-no');
  await page.check('#q-patrol-frequency-input');
  // The ranking list counts once the resident orders it or accepts its order.
  await page.click('.rank-confirm');
  await Promise.all([page.waitForURL(/\/thanks\//), page.click('button[type="submit"]')]);
  receipt = (await page.locator('.receipt').textContent())?.trim() ?? '';
  expect(receipt).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  // The thank-you address is signed; visit() sets the language itself.
  const thanks = new URL(page.url());
  thanks.searchParams.delete('lang');
  thanksPath = `${thanks.pathname}${thanks.search}`;
  await page.close();
});

afterEach(async () => {
  await Promise.all(openPages.splice(0).map((page) => page.close()));
});

afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

describe.each(LOCALES)('resident pages in %s', (locale) => {
  const context = () => fresh.get(locale)!;

  it('home page', async () => {
    await audit(await visit(context(), '/', locale), locale);
  });

  it('bureau page', async () => {
    await audit(await visit(context(), '/b/huzhou-police', locale), locale);
  });

  it.each(DEMO_FORMS)('survey form %s, enhanced by its script', async (path) => {
    const page = await visit(context(), path, locale);
    expect(await page.locator('html.js').count(), 'survey.js ran').toBe(1);
    await audit(page, locale);
  });

  it.each(DEMO_FORMS)('survey form %s, as without JavaScript', async (path) => {
    const noScript = await newContext({ withoutSurveyScript: true });
    try {
      const page = await visit(noScript, path, locale);
      expect(await page.locator('html.js').count(), 'survey.js kept out').toBe(0);
      await audit(page, locale);
    } finally {
      await noScript.close();
    }
  });

  it('survey form sent back with errors', async () => {
    const page = await visit(context(), '/b/huzhou-police/s/top-public-security-concerns', locale);
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type="submit"]')]);
    expect(response.status()).toBe(422);
    await page.waitForSelector('[data-error-summary]');
    await page.screenshot({ path: screenshotPath(`a11y-errors-${locale}`), fullPage: true });
    await audit(page, locale);
  });

  it('thank-you page', async () => {
    const page = await visit(voted, thanksPath, locale);
    await expect(page.locator('.receipt').textContent()).resolves.toBe(receipt);
    // The page says once, not twice, that the results come after the survey closes.
    const said = (await page.locator('main').textContent())!.match(locale === 'en' ? /results will be published/gi : /公布/g) ?? [];
    expect(said).toHaveLength(1);
    await audit(page, locale);
  });

  it('already-voted page', async () => {
    const page = await visit(voted, VOTED_SURVEY, locale);
    await expect(page.locator('form.survey-form').count()).resolves.toBe(0);
    await expect(page.locator('main').textContent()).resolves.toContain(receipt);
    await audit(page, locale);
  });

  it('closed survey page', async () => {
    const page = await visit(context(), CLOSED_SURVEY, locale);
    await expect(page.locator('form').count()).resolves.toBe(0);
    await audit(page, locale);
  });

  it('scheduled survey page', async () => {
    const page = await visit(context(), SCHEDULED_SURVEY, locale);
    await expect(page.locator('form').count()).resolves.toBe(0);
    await audit(page, locale);
  });

  it('public results page, and the page of results not yet published', async () => {
    await audit(await visit(context(), `${CLOSED_SURVEY}/results`, locale), locale);
    await audit(await visit(context(), `${SCHEDULED_SURVEY}/results`, locale), locale);
  });

  it.each([VOTED_SURVEY, SCHEDULED_SURVEY])('embed card %s', async (path) => {
    await audit(await visit(context(), `/embed${path}`, locale), locale);
  });

  it('404 page', async () => {
    await audit(await visit(context(), '/b/huzhou-police/s/no-such-survey', locale, 404), locale);
  });

  it.each(DEMO_FORMS)('survey form %s weighs under 30 KB of HTML and CSS', async (path) => {
    const [html, css] = await Promise.all([`${path}?lang=${locale}`, '/static/css/minyi.css'].map(async (url) => {
      const response = await fetch(`${minyi.baseUrl}${url}`);
      expect(response.status, url).toBe(200);
      return Buffer.byteLength(await response.text());
    }));
    expect(html! + css!, `HTML ${html} B + CSS ${css} B`).toBeLessThan(MAX_FORM_BYTES);
  });
});

describe('what a resident downloads', () => {
  it('sends the survey script compressed, under 4 KB on the wire', async () => {
    const response = await fetch(`${minyi.baseUrl}/static/js/survey.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    // fetch decompresses the body; the compressed size is what travels, so measure it the same way the server made it.
    const { gzipSync } = await import('node:zlib');
    expect(gzipSync(Buffer.from(await response.text())).byteLength).toBeLessThan(MAX_WIRE_BYTES);
  });

  it('never asks another host for anything', () => {
    expect(requested.length).toBeGreaterThan(20);
    expect(requested).toContain(`${minyi.baseUrl}/static/css/minyi.css`);
    expect(requested).toContain(`${minyi.baseUrl}/static/js/survey.js`);
    const elsewhere = requested.filter((url) => new URL(url).hostname !== '127.0.0.1');
    expect(elsewhere).toEqual([]);
  });
});
