/**
 * A bureau manager builds a survey from scratch in the browser (a ranking and a rating question), schedules
 * it, opens it, downloads the QR code and takes the 140-character post; a resident then votes through its short link.
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterCount } from '../../server/services/sharing/share-kit.js';
import { launchBrowser, signInInBrowser, PHONE, screenshotPath, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { scaled } from '../utils/time.js';
import { createStaff, STAFF_PASSWORD } from '../utils/staff.js';

let minyi: RunningMinyi;
let browser: Browser;

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const bureau = await minyi.test.container.models.Bureau.findOne({ slug: 'huzhou-police' }).lean();
  await createStaff(minyi.test.container, 'manager@huzhou.test', [{ role: 'manager', bureau: bureau!._id }]);
});
afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

describe('a manager launches a survey', () => {
  it('builds, schedules, opens and shares it; a resident votes through the short link', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', acceptDownloads: true });
    const page = await context.newPage();
    const problems = watchForProblems(page);

    await signInInBrowser(page, minyi.baseUrl, 'manager@huzhou.test', STAFF_PASSWORD);
    await page.getByRole('link', { name: 'Huzhou Municipal Public Security Bureau' }).click();
    await page.getByRole('link', { name: 'New survey' }).click();
    await page.getByLabel('Address (slug)').fill('night-safety');
    await page.getByRole('button', { name: 'Create draft' }).click();
    expect(page.url()).toContain('/surveys/night-safety/edit');

    // The builder: titles in both languages, then a ranking and a rating question from their cards, without any script.
    await page.locator('#f-title-zh-CN').fill('夜间治安问卷');
    await page.locator('#f-title-en').fill('Night-time safety');
    await page.getByRole('button', { name: /^Ranking/ }).click();
    await page.waitForURL(/#question-1$/);
    await page.locator('#f-q-1-title-zh-CN').fill('请排序您最关心的问题');
    await page.locator('#f-q-1-title-en').fill('Rank your concerns');
    await page.locator('#f-q-1-options-zh-CN').fill('电动车被盗\n入室盗窃\n电信诈骗');
    await page.locator('#f-q-1-options-en').fill('E-bike theft\nBurglary\nPhone fraud');
    await page.locator('#f-q-1-rankCount').fill('2');
    await page.getByRole('button', { name: /^Rating scale/ }).click();
    await page.waitForURL(/#question-2$/);
    await page.locator('#f-q-2-title-zh-CN').fill('您觉得夜间安全吗');
    await page.locator('#f-q-2-title-en').fill('How safe do you feel at night?');
    for (const [field, zh, en] of [['lowLabel', '很不安全', 'Very unsafe'], ['highLabel', '很安全', 'Very safe']] as const) {
      await page.locator(`#f-q-2-${field}-zh-CN`).fill(zh);
      await page.locator(`#f-q-2-${field}-en`).fill(en);
    }
    await page.screenshot({ path: screenshotPath('manager-builder'), fullPage: true });
    await page.locator('.builder-savebar button[value=save]').click();
    await expect.poll(() => page.url()).toContain('/surveys/night-safety/edit?done=saved');
    await page.locator('.meta a').click();
    await page.waitForURL(/\/surveys\/night-safety$/);

    // Schedule it for tomorrow, then open it now.
    const tomorrow = new Date(Date.now() + 24 * 3600_000 + 8 * 3600_000).toISOString().slice(0, 16);
    const nextMonth = new Date(Date.now() + 30 * 24 * 3600_000).toISOString().slice(0, 16);
    await page.getByLabel('Opens at').fill(tomorrow);
    await page.getByLabel('Closes at').fill(nextMonth);
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => page.locator('.status').first().textContent()).toBe('Scheduled');
    await page.getByRole('button', { name: 'Open now' }).click();
    await expect.poll(() => page.locator('.status').first().textContent()).toBe('Open');

    // The sharing kit: QR code download and the microblog post.
    await page.getByRole('link', { name: 'Share' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PNG (for print)' }).click()]);
    const png = readFileSync((await download.path())!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // "Copy" puts the post on the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy' }).first().click();
    await expect.poll(() => page.getByRole('button', { name: 'Copied' }).count()).toBe(1);
    const post = await page.evaluate(() => navigator.clipboard.readText());
    expect(post).toBe(await page.locator('#post-zh-CN').inputValue());
    expect(characterCount(post)).toBeLessThanOrEqual(140);
    expect(post).toContain('夜间治安问卷');
    const shortLink = /(http:\/\/\S+\/s\/[a-z0-9]{7})/.exec(post)![1]!.replace(/^http:\/\/localhost:\d+/, minyi.baseUrl);
    await page.screenshot({ path: screenshotPath('manager-share'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();

    // A resident follows the short link on a phone and votes.
    const phone = await browser.newContext({ ...PHONE, locale: 'zh-CN' });
    const resident = await phone.newPage();
    const residentProblems = watchForProblems(resident);
    await resident.goto(shortLink.replace(/^http:\/\/[^/]+/, minyi.baseUrl));
    expect(resident.url()).toContain('/b/huzhou-police/s/night-safety');
    await resident.getByLabel('选项一').check();
    await resident.locator('#q-q3-input').check({ force: true });
    await resident.locator('.rank-item').first().waitFor();
    // The list starts in a random order; this resident is happy with it and says so.
    await resident.getByRole('button', { name: '使用此顺序' }).click();
    await resident.getByRole('button', { name: '提交我的回答' }).click();
    await resident.waitForLoadState();
    if (!resident.url().includes('/thanks/')) await resident.screenshot({ path: screenshotPath('manager-resident-failed'), fullPage: true });
    await expect.poll(() => resident.url()).toContain('/thanks/');
    await resident.screenshot({ path: screenshotPath('manager-resident-thanks'), fullPage: true });
    expect(residentProblems).toEqual([]);
    await phone.close();

    const survey = await minyi.test.container.models.Survey.findOne({ slug: 'night-safety' }).lean();
    const stored = await minyi.test.container.models.Response.find({ survey: survey!._id }).lean();
    expect(stored).toHaveLength(1);
    expect((stored[0]!.answers.q2 as string[]).length).toBe(2);
    expect(stored[0]!.answers.q3).toBe(1);
  }, scaled(240_000));
});
