/**
 * The staff journey from microblog posts to a published action (import → concerns → drill-down → action), with
 * JavaScript off, and the public accountability page on a phone in both languages: axe clean, 44 px tap
 * targets, long words wrapping, no text the bureau has not approved.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, PHONE, screenshotPath, signInInBrowser, smallTapTargets, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { createStaff, STAFF_PASSWORD } from '../utils/staff.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const LONG_WORD = 'Neighbourhoodwatchcoordinationandnightpatrolschedulingimprovementprogramme';
let minyi: RunningMinyi;
let browser: Browser;

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const bureau = await minyi.test.container.models.Bureau.findOne({ slug: 'huzhou-police' }).lean();
  await createStaff(minyi.test.container, 'analyst@huzhou.test', [{ role: 'analyst', bureau: bureau!._id }]);
});
afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, { resultTypes: ['violations'] }));
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}


describe('concerns and accountability in the browser', () => {
  it('takes an analyst from imported posts to a concern and a recorded action, without JavaScript', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', javaScriptEnabled: false });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await signInInBrowser(page, minyi.baseUrl, 'analyst@huzhou.test', STAFF_PASSWORD);
    await page.goto(`${minyi.baseUrl}/staff/b/huzhou-police/concerns?lang=en`);
    // The demo's comments are there before any import.
    await expect(page.locator('table.concerns tbody tr').count()).resolves.toBeGreaterThan(5);
    const before = Number(await page.locator('table.concerns tbody tr', { hasText: 'E-bike theft' }).locator('td.num').nth(1).textContent());
    const now = Date.now();
    const csv = ['text,time,district', ...['小区楼下电瓶车被偷了 BROWSER-1', '电动车被盗第三次 BROWSER-2', 'My e-bike was stolen BROWSER-3'].map((text, i) => `${text},${new Date(now - (i + 1) * 3600_000).toISOString()},wuxing`)].join('\n');
    await page.setInputFiles('#posts-file', { name: 'posts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.locator('.notice').textContent()).resolves.toContain('3 posts read: 3 added, 0 already there.');
    const after = Number(await page.locator('table.concerns tbody tr', { hasText: 'E-bike theft' }).locator('td.num').nth(1).textContent());
    expect(after).toBe(before + 3);
    await page.screenshot({ path: screenshotPath('concerns-staff-list'), fullPage: true });
    await page.getByRole('link', { name: 'E-bike theft' }).click();
    await expect(page.locator('h1').textContent()).resolves.toContain('E-bike theft');
    await expect(page.locator('ol.texts').textContent()).resolves.toContain('BROWSER-1');
    await page.screenshot({ path: screenshotPath('concerns-staff-detail'), fullPage: true });
    await page.getByRole('link', { name: 'Record an action for this concern' }).click();
    await page.locator('#title-zh').fill('地铁口加装监控');
    await page.locator('#title-en').fill(`Cameras at metro exits ${LONG_WORD}`);
    await page.locator('#body-zh').fill('在三个地铁口加装监控并增加夜间巡逻。');
    await page.locator('#body-en').fill('Cameras at three metro exits and more night patrols.');
    await expect(page.locator('#evidence').inputValue()).resolves.toBe('concern:ebike-theft');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/staff\/b\/huzhou-police\/actions$/);
    await expect(page.locator('main table').textContent()).resolves.toContain('Cameras at metro exits');
    await page.screenshot({ path: screenshotPath('concerns-staff-actions'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it.each(['zh-CN', 'en'] as const)('shows the public accountability page on a phone in %s: axe clean, 44 px targets, no sideways scrolling', async (locale) => {
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    const page = await context.newPage();
    const response = await page.goto(`${minyi.baseUrl}/b/huzhou-police/accountability?lang=${locale}`);
    expect(response?.status()).toBe(200);
    await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe(locale);
    const text = await page.locator('main').textContent();
    expect(text).toContain(locale === 'en' ? 'E-bike theft crackdown' : '电动车防盗专项行动');
    // Microblog posts are counted as evidence, never quoted.
    expect(text).not.toContain('BROWSER-1');
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(360);
    await page.screenshot({ path: screenshotPath(`accountability-phone-${locale}`), fullPage: true });
    expect(await smallTapTargets(page)).toEqual([]);
    await context.close();
    // axe needs a script of its own: the same page in a browser with scripts on.
    const withScripts = await browser.newContext({ ...PHONE, bypassCSP: true });
    const audited = await withScripts.newPage();
    await audited.goto(`${minyi.baseUrl}/b/huzhou-police/accountability?lang=${locale}`);
    expect(await axe(audited)).toEqual([]);
    await withScripts.close();
  });
});
