/** The embed snippet on a phone: its iframe grows to the card (script in both pages), and the button is not cut off. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBED_MIN_HEIGHT, ShareKit } from '../../server/services/sharing/share-kit.js';
import { launchBrowser, PHONE, startMinyi, type RunningMinyi } from '../utils/browser.js';
import { createBureauWithSurvey } from '../utils/resident.js';

let minyi: RunningMinyi;
let browser: Browser;
let host: http.Server | undefined;

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
}, 120_000);
afterAll(async () => {
  host?.closeAllConnections();
  host?.close();
  await browser?.close();
  await minyi?.close();
});

describe('embed snippet', () => {
  it('fits the card with a long title and description on a 360 px phone, and keeps the button inside the frame', async () => {
    const long = 'Road safety around schools, car parks and crossings in the old town: tell us what should change first. '.repeat(4);
    const { bureau, survey } = await createBureauWithSurvey(minyi.test.container, {
      slug: 'embed-bureau',
      mutate: (d) => {
        d.slug = 'embed-long';
        d.title = { 'zh-CN': '关于老城区学校周边道路安全的调查', en: long.slice(0, 190) };
        d.description = { 'zh-CN': '说明', en: long };
      },
    });
    // The host page is another origin (another port); the snippet accepts the height from our origin only.
    const snippet = new ShareKit(minyi.baseUrl).embedSnippet(bureau, survey, 'en');
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    host = http.createServer((_req, res) => res.end(`<!doctype html><meta name="viewport" content="width=device-width"><body style="margin:0"><p>Host page</p>${snippet}</body>`));
    await new Promise<void>((resolve) => host!.listen(0, '127.0.0.1', () => resolve()));
    await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
    const frameElement = page.locator('iframe');
    const frame = await (await frameElement.elementHandle())!.contentFrame();
    await frame!.locator('a.button').waitFor();
    await expect.poll(async () => (await frameElement.boundingBox())!.height, { timeout: 30_000 }).toBeGreaterThan(EMBED_MIN_HEIGHT);
    const frameBox = (await frameElement.boundingBox())!;
    const buttonBox = (await frame!.locator('a.button').boundingBox())!;
    expect(buttonBox.y + buttonBox.height).toBeLessThanOrEqual(frameBox.y + frameBox.height);
    const scrolls = await frame!.evaluate(() => document.documentElement.scrollHeight > window.innerHeight + 1);
    expect(scrolls).toBe(false);
    await context.close();
  }, 120_000);
});
