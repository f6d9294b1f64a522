/**
 * Advice in the browser: a resident on a phone with JavaScript off sends advice, follows it with the tracking
 * code, reads the reply and rates it; staff work the case in the workspace. Every new resident page is
 * audited with axe in both languages, and its tap targets are at least 44 px high.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result } from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locale } from '../../server/models/survey-definition.types.js';
import { launchBrowser, PHONE, screenshotPath, signInInBrowser, smallTapTargets, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { STAFF_PASSWORD, createStaff } from '../utils/staff.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const BOX = '/b/huzhou-police/advice';
const CODE = /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/;

let minyi: RunningMinyi;
let browser: Browser;

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const huzhou = await minyi.test.container.bureaus.findBySlug('huzhou-police');
  await createStaff(minyi.test.container, 'case-manager@test.cn', [{ role: 'manager', bureau: huzhou._id }]);
});
afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

async function phone(options: { javaScriptEnabled?: boolean; bypassCSP?: boolean } = {}): Promise<BrowserContext> {
  return browser.newContext({ ...PHONE, locale: 'en-US', javaScriptEnabled: options.javaScriptEnabled ?? false, bypassCSP: options.bypassCSP ?? false });
}

/** Sends advice through the form in a phone browser without JavaScript; returns the tracking code. */
async function sendAdviceByHand(page: Page, text: string, lang: Locale = 'en'): Promise<string> {
  await page.goto(`${minyi.baseUrl}${BOX}?lang=${lang}`);
  await page.selectOption('#advice-category', 'theft');
  await page.selectOption('#advice-district', 'nanxun');
  await page.fill('#advice-text', text);
  await page.check('#advice-publish-yes');
  await Promise.all([page.waitForURL(/\/advice\/sent\//), page.click('button[type="submit"]')]);
  const code = (await page.locator('.receipt').textContent())?.trim() ?? '';
  expect(code).toMatch(CODE);
  return code;
}

function describeViolations(violations: Result[]): string {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}`).join('\n')}`).join('\n');
}

async function audit(page: Page, locale: Locale): Promise<void> {
  await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe(locale);
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, { resultTypes: ['violations'] }));
  expect(results.violations, `axe found on ${page.url()}:\n${describeViolations(results.violations)}`).toEqual([]);
}


describe('the resident journey on a phone without JavaScript', () => {
  it('sends advice, follows it, reads the reply and rates it once', async () => {
    const context = await phone();
    const page = await context.newPage();
    const problems = watchForProblems(page);
    // A mistake first: the form comes back with the text kept and the error named.
    await page.goto(`${minyi.baseUrl}${BOX}?lang=en`);
    await page.fill('#advice-text', 'The e-bike shed behind building 3 has no camera; two bikes were stolen last month.');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
    await expect(page.locator('.error-summary').textContent()).resolves.toContain('Choose a topic');
    await expect(page.inputValue('#advice-text')).resolves.toContain('two bikes were stolen');
    await page.screenshot({ path: screenshotPath('advice-form-sent-back-phone'), fullPage: true });

    const code = await sendAdviceByHand(page, 'The e-bike shed behind building 3 has no camera; two bikes were stolen last month.');
    await page.screenshot({ path: screenshotPath('advice-sent-phone'), fullPage: true });
    await Promise.all([page.waitForURL(/\/track\//), page.getByRole('link', { name: 'Follow your case' }).click()]);
    await expect(page.locator('.advice-facts').textContent()).resolves.toContain('Received');
    await expect(page.locator('input[name="rating"]').count()).resolves.toBe(0);
    await page.screenshot({ path: screenshotPath('advice-track-received-phone'), fullPage: true });

    // The bureau replies.
    const { container } = minyi.test;
    const huzhou = await container.bureaus.findBySlug('huzhou-police');
    const item = (await container.models.AdviceItem.findOne({ text: /building 3/ }).lean())!;
    const actor = { id: '000000000000000000000001', email: 'x@test.cn', name: 'x', roles: [{ role: 'admin' as const, bureau: null, region: null }] };
    await container.adviceCases.reply(huzhou, item._id, 'A camera was installed at the shed on Tuesday and patrols there were doubled.', actor);

    await page.goto(`${minyi.baseUrl}/track/${code}`);
    await expect(page.locator('main').textContent()).resolves.toContain('A camera was installed');
    await page.screenshot({ path: screenshotPath('advice-track-replied-phone'), fullPage: true });
    await page.click('label[for="rating-basically-satisfied"]');
    await page.fill('#rating-comment', 'Thanks, quick answer.');
    await Promise.all([page.waitForURL(/rated=1/), page.click('button[type="submit"]')]);
    await expect(page.locator('.notice').textContent()).resolves.toContain('Thank you');
    await expect(page.locator('input[name="rating"]').count()).resolves.toBe(0);
    await page.screenshot({ path: screenshotPath('advice-track-rated-phone'), fullPage: true });
    const votes = await container.models.SatisfactionVote.find({ _id: `advice:${item._id}` }).lean();
    expect(votes.map((v) => [v.rating, v.comment])).toEqual([['basically-satisfied', 'Thanks, quick answer.']]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('finds a case from the lookup page with a code typed in lower case without dashes', async () => {
    const context = await phone();
    const page = await context.newPage();
    const code = await sendAdviceByHand(page, '小区门口的路灯坏了，晚上很黑。', 'zh-CN');
    await page.goto(`${minyi.baseUrl}/track?lang=zh-CN`);
    await page.fill('#code', code.toLowerCase().replace(/-/g, ''));
    await Promise.all([page.waitForURL(/\/track\/[0-9A-Z-]{19}$/), page.click('button[type="submit"]')]);
    await expect(page.locator('main').textContent()).resolves.toContain('小区门口的路灯坏了');
    await context.close();
  });
});

describe('the staff journey', () => {
  it('finds an overdue case, assigns it, replies, approves it for publication, and the resident sees the reply', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    const resident = await (await phone()).newPage();
    const code = await sendAdviceByHand(resident, 'Street racing every night on Renmin Road near the school.');
    const { container } = minyi.test;
    const item = (await container.models.AdviceItem.findOne({ text: /Street racing/ }).lean())!;
    await container.models.AdviceItem.updateOne({ _id: item._id }, { $set: { dueAt: new Date(Date.now() - 86_400_000) } });

    await signInInBrowser(page, minyi.baseUrl, 'case-manager@test.cn', STAFF_PASSWORD);
    await page.goto(`${minyi.baseUrl}/staff/b/huzhou-police?lang=en`);
    await Promise.all([page.waitForURL(/\/advice$/), page.locator('.bureau-nav').getByRole('link', { name: 'Advice', exact: true }).click()]);
    await page.fill('input[name="q"]', 'Street racing');
    await page.check('input[name="overdue"]');
    await Promise.all([page.waitForURL(/overdue=1/), page.click('.filters button[type="submit"]')]);
    await expect(page.locator('.advice-cases tbody tr').count()).resolves.toBe(1);
    await page.screenshot({ path: screenshotPath('advice-staff-queue'), fullPage: true });
    await Promise.all([page.waitForURL(new RegExp(`/advice/${item._id}$`)), page.getByRole('link', { name: item._id.slice(0, 8).toUpperCase() }).click()]);

    await page.selectOption('#assignee', { label: 'case-manager (case-manager@test.cn)' });
    await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: 'Assign', exact: true }).click()]);
    await Promise.all([page.waitForURL(/done=1/), page.click('button[value="in-progress"]')]);
    await page.fill('#note', 'Asked the traffic brigade to check the cameras.');
    await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: 'Save note' }).click()]);
    await page.fill('#reply', 'Traffic police now patrol Renmin Road from 22:00 to 02:00.');
    await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: 'Publish the reply' }).click()]);
    await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: 'Approve for public pages' }).click()]);
    await expect(page.locator('.advice-facts').textContent()).resolves.toContain('approved for public pages');
    await page.screenshot({ path: screenshotPath('advice-staff-case'), fullPage: true });

    await resident.goto(`${minyi.baseUrl}/track/${code}`);
    await expect(resident.locator('main').textContent()).resolves.toContain('Traffic police now patrol Renmin Road');
    await resident.goto(`${minyi.baseUrl}${BOX}?lang=en`);
    await expect(resident.locator('main').textContent()).resolves.toContain('Street racing every night');

    await page.goto(`${minyi.baseUrl}/staff/b/huzhou-police/audit?lang=en`);
    await expect(page.locator('main').textContent()).resolves.toContain(`replied to advice case ${item._id.slice(0, 8).toUpperCase()}`);
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe('accessibility and tap targets of the new resident pages', () => {
  it.each(['zh-CN', 'en'] as const)('axe finds nothing and every tap target is 44 px high, in %s', async (locale) => {
    const context = await phone({ javaScriptEnabled: true, bypassCSP: true });
    const page = await context.newPage();
    const code = await sendAdviceByHand(page, locale === 'en' ? 'Please add lights to the underpass.' : '地下通道太暗，希望加装照明。', locale);
    const { container } = minyi.test;
    const huzhou = await container.bureaus.findBySlug('huzhou-police');
    const item = (await container.models.AdviceItem.findOne({ text: locale === 'en' ? /underpass/ : /地下通道/ }).lean())!;
    const actor = { id: '000000000000000000000001', email: 'x@test.cn', name: 'x', roles: [{ role: 'admin' as const, bureau: null, region: null }] };
    const batch = await container.adviceCases.createCodeBatch(huzhou, { label: 'hotline', count: '1' }, actor);
    const pages: Array<[string, string]> = [
      ['box', `${BOX}?lang=${locale}`],
      ['sent', `${BOX}/sent/${code}?lang=${locale}`],
      ['lookup', `/track?lang=${locale}`],
      ['track-received', `/track/${code}?lang=${locale}`],
      ['rate-code', `/rate/${batch.codes[0]}?lang=${locale}`],
    ];
    const found: string[] = [];
    for (const [name, path] of pages) {
      const response = await page.goto(`${minyi.baseUrl}${path}`);
      expect(response?.status(), path).toBe(200);
      found.push(...(await smallTapTargets(page)).map((t) => `${name}: ${t}`));
      await audit(page, locale);
    }
    await container.adviceCases.reply(huzhou, item._id, locale === 'en' ? 'Lights will be added this month.' : '本月内加装照明。', actor);
    await page.goto(`${minyi.baseUrl}/track/${code}?lang=${locale}`);
    found.push(...(await smallTapTargets(page)).map((t) => `track-replied: ${t}`));
    await page.screenshot({ path: screenshotPath(`advice-track-rating-${locale}`), fullPage: true });
    await audit(page, locale);
    // The form sent back with mistakes, and the lookup with a wrong code.
    await page.goto(`${minyi.baseUrl}${BOX}?lang=${locale}`);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
    found.push(...(await smallTapTargets(page)).map((t) => `sent back: ${t}`));
    await audit(page, locale);
    await page.goto(`${minyi.baseUrl}/track?code=nope&lang=${locale}`);
    await audit(page, locale);
    expect(found).toEqual([]);
    await context.close();
  });
});
