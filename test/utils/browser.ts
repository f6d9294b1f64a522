/** Browser tests: Chromium through playwright-core, and Minyi listening on a real port of 127.0.0.1. */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../server/paths.js';
import { createTestApp, type TestApp } from './test-app.js';
import { scaled } from './time.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless Chromium that stays off the network: no updates, sync or background requests of its own. Its
 * contexts wait for pages and elements with timeouts scaled by MINYI_TEST_TIME_FACTOR.
 */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: scaled(60_000),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.setDefaultTimeout(scaled(30_000));
    context.setDefaultNavigationTimeout(scaled(30_000));
    return context;
  };
  return browser;
}

export interface RunningMinyi {
  test: TestApp;
  /** http://127.0.0.1:<port>, without a trailing slash. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Minyi with the demo bureaus on a fresh database, on a free port. Browsers need a real socket (supertest's
 * in-process requests are not enough), and the fill-time check is off so tests may submit at once.
 */
export async function startMinyi(overrides: Record<string, string> = {}): Promise<RunningMinyi> {
  const test = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', ...overrides });
  await test.container.demo.seedIfEmpty();
  const server = http.createServer(test.app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    test,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      // Browsers keep connections alive; without this, close() would wait for them to time out.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Let queued tally batches finish before the database is dropped under them.
      await test.container.tallyWriter.drain();
      await test.close();
    },
  };
}

/** A phone: what most residents scan the poster's QR code with. */
export const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;

const SCREENSHOTS = path.join(projectRoot(), 'test-output', 'screenshots');

/** Where a test saves a screenshot of a key page, for people to look at (test-output/ is git-ignored). */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}

/**
 * Collects what should never happen on a page: script errors and Content-Security-Policy refusals (Chromium
 * reports those on the console), so a test can assert the list stays empty.
 */
export function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Not every console error: a 422 or 404 page is logged as a failed load, and those are expected.
    if (/Content Security Policy/i.test(message.text())) problems.push(`console ${message.type()}: ${message.text()}`);
  });
  return problems;
}

/** Signs a staff member in through the sign-in form, as a person would. */
export async function signInInBrowser(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/staff/login?lang=en`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/staff(\?|$)/);
}

/**
 * Every tap target a resident can reach, and how high it is: links, buttons, fields, and the labels of radio
 * buttons and check boxes (the box is drawn inside its label, which takes the tap). Off-screen helpers (the
 * skip link until focused, the honeypot) and hidden elements are not targets.
 */
export async function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    const targets = Array.from(document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, label[for]'));
    for (const element of targets) {
      if (element instanceof HTMLInputElement && (element.type === 'radio' || element.type === 'checkbox' || element.type === 'hidden')) continue;
      if (element instanceof HTMLLabelElement) {
        const control = document.getElementById(element.htmlFor);
        if (!(control instanceof HTMLInputElement) || (control.type !== 'radio' && control.type !== 'checkbox')) continue;
      }
      if (element.closest('[aria-hidden="true"], [hidden]')) continue;
      const box = element.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1 || box.right <= 0 || getComputedStyle(element).visibility === 'hidden') continue;
      if (box.height < 43.99) small.push(`${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} "${(element.textContent ?? '').trim().slice(0, 30)}": ${box.height.toFixed(1)} px`);
    }
    return small;
  });
}
