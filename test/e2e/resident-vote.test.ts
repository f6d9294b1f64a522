/** A resident on a phone answers a survey from the form to the receipt: by touch, without JavaScript, by keyboard, after a mistake. */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../server/models/survey.model.js';
import { everyTypeDefinition, TEST_DISTRICTS } from '../fixtures/survey-definitions.js';
import { launchBrowser, PHONE, screenshotPath, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { scaled } from '../utils/time.js';

const RECEIPT = /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/;
const FORM_PATH = '/b/test-bureau/s/every-type';

let minyi: RunningMinyi;
let browser: Browser;
let survey: Survey;
let context: BrowserContext | undefined;
let problems: string[] = [];

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const { container } = minyi.test;
  const bureau = await container.bureaus.create({
    slug: 'test-bureau',
    name: { 'zh-CN': '测试公安局', en: 'Test Public Security Bureau' },
    kind: 'police',
    region: { 'zh-CN': '浙江省', en: 'Zhejiang' },
    city: { 'zh-CN': '湖州市', en: 'Huzhou' },
    districts: TEST_DISTRICTS.map((id) => ({ id, name: { 'zh-CN': `${id}区`, en: `${id[0]!.toUpperCase()}${id.slice(1)} District` } })),
    timezone: 'Asia/Shanghai',
    defaultLocale: 'zh-CN',
  });
  survey = await container.surveys.createFromDefinition(bureau._id, container.definitionValidator.validate(everyTypeDefinition()), { status: 'open' });
});

afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

beforeEach(async () => {
  await minyi.test.container.tallyWriter.drain();
  await minyi.test.container.models.Response.deleteMany({});
});

afterEach(async () => {
  await context?.close();
  context = undefined;
  // Every page of every test ran without a script error or a refused inline script or style.
  expect(problems).toEqual([]);
});

async function openPhone(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
  context = await browser.newContext({ ...PHONE, locale: 'en-US', javaScriptEnabled: options.javaScriptEnabled ?? true });
  // The ranking list starts in a random order for residents; a constant Math.random keeps the listed order
  // here, so tests can name positions.
  await context.addInitScript(() => {
    Math.random = () => 0.5;
  });
  const page = await context.newPage();
  problems = watchForProblems(page);
  return page;
}

async function openForm(page: Page, lang = 'en'): Promise<void> {
  const response = await page.goto(`${minyi.baseUrl}${FORM_PATH}?lang=${lang}`);
  expect(response?.status()).toBe(200);
}

const rankOrder = (page: Page) => page.locator('.rank-item').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.value));
const rankSelects = (page: Page) => page.locator('.ranking select').evaluateAll((selects) => selects.map((select) => (select as HTMLSelectElement).value));
const activeLabel = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? null);

/** The one response stored for the survey, after the vote. */
async function storedResponse() {
  const responses = await minyi.test.container.models.Response.find({ survey: survey._id }).lean();
  expect(responses).toHaveLength(1);
  return responses[0]!;
}

async function submitAndReadReceipt(page: Page, submit: () => Promise<void>, shot: string): Promise<string> {
  await Promise.all([page.waitForURL(/\/thanks\//), submit()]);
  const receipt = (await page.locator('.receipt').textContent())?.trim() ?? '';
  expect(receipt).toMatch(RECEIPT);
  await expect(page.locator('h1').textContent()).resolves.toBe('Thank you for taking part');
  await page.screenshot({ path: screenshotPath(shot), fullPage: true });
  return receipt;
}

/** A finger dragging from the middle of one element to the top edge of another, as Chromium's touch screen sees it. */
async function touchDrag(page: Page, from: string, to: string): Promise<void> {
  await page.locator(from).scrollIntoViewIfNeeded();
  const start = await page.locator(from).boundingBox();
  const end = await page.locator(to).boundingBox();
  if (!start || !end) throw new Error('cannot drag: element not on screen');
  const cdp = await page.context().newCDPSession(page);
  const point = (x: number, y: number) => ({ touchPoints: [{ x, y }] });
  const x = start.x + start.width / 2;
  const fromY = start.y + start.height / 2;
  const toY = end.y + 4;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', ...point(x, fromY) });
  for (let i = 1; i <= 10; i += 1) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', ...point(x, fromY + ((toY - fromY) * i) / 10) });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
  await waitPastDoubleTap(page);
}

/**
 * Chromium's gesture detector takes a second tap near the first within its double-tap time (400 ms) as a
 * double tap and sends no click for it (also without this script). The margin covers taps delivered late on
 * a busy machine; a finger tapping a button again takes longer anyway.
 */
const waitPastDoubleTap = (page: Page) => page.waitForTimeout(scaled(800));

/** A finger tapping one button twice, as a resident moving an item two places would. */
async function tapTwice(page: Page, selector: string): Promise<void> {
  await page.tap(selector);
  await waitPastDoubleTap(page);
  await page.tap(selector);
  await waitPastDoubleTap(page);
}

describe('a resident on a phone', () => {
  it('answers every question type with JavaScript, ranking by touch, and gets a receipt', async () => {
    const page = await openPhone();
    await openForm(page);
    await expect(page.evaluate(() => document.documentElement.classList.contains('js'))).resolves.toBe(true);

    // The rank selects make way for one list of every item. Untouched, it sends nothing: no item gains from
    // being listed first when a resident skips the question.
    await expect(page.locator('.rank-row').first().isVisible()).resolves.toBe(false);
    expect(await rankOrder(page)).toEqual(['vehicle-theft', 'burglary', 'fraud', 'traffic', 'other']);
    expect(await page.locator('.rank-item.counted').count()).toBe(0);
    expect(await rankSelects(page)).toEqual(['', '', '']);
    await expect(page.locator('.rank-confirm').isVisible()).resolves.toBe(true);
    await expect(page.locator('.ranking').evaluate((node) => node.previousElementSibling?.textContent)).resolves.toContain('Your top 3 count');
    await expect(page.locator('.other-text[data-other-for="concerns"]').isVisible()).resolves.toBe(false);

    // Drag "Telecom fraud" by its number and grip to the top: now the first three count.
    await touchDrag(page, '.rank-item[data-value="fraud"] .pos', '.rank-item[data-value="vehicle-theft"]');
    expect(await rankOrder(page)).toEqual(['fraud', 'vehicle-theft', 'burglary', 'traffic', 'other']);
    expect(await rankSelects(page)).toEqual(['fraud', 'vehicle-theft', 'burglary']);
    expect(await page.locator('.rank-item.counted').count()).toBe(3);
    await expect(page.locator('.rank-list > :nth-child(4)').getAttribute('class')).resolves.toBe('rank-cut');
    await expect(page.locator('.rank-confirm').isVisible()).resolves.toBe(false);
    await expect(page.locator('.ranking [aria-live="polite"]').textContent()).resolves.toBe('Telecom fraud Rank 1');

    // Tap "Other" up into third place: it counts now, so its text field appears.
    await tapTwice(page, '.rank-item[data-value="other"] button.up');
    expect(await rankSelects(page)).toEqual(['fraud', 'vehicle-theft', 'other']);
    await expect(page.locator('.rank-item[data-value="other"]').getAttribute('class')).resolves.toContain('counted');
    await expect(page.locator('.other-text[data-other-for="concerns"]').isVisible()).resolves.toBe(true);
    await page.fill('#q-concerns-other-text', 'Noise at night');

    // District: "other" shows its text field, another district hides it again.
    await expect(page.locator('#q-district-other-text').isVisible()).resolves.toBe(false);
    await page.selectOption('#q-district-input', 'other');
    await expect(page.locator('#q-district-other-text').isVisible()).resolves.toBe(true);
    await page.selectOption('#q-district-input', 'nanxun');
    await expect(page.locator('#q-district-other-text').isVisible()).resolves.toBe(false);

    await page.tap('label[for="q-safety-4"]');

    // "Which kind?" appears only for victims; at two choices the others are disabled.
    await expect(page.locator('#q-crime-kind-block').isVisible()).resolves.toBe(false);
    await page.tap('label[for="q-victim-input"]');
    await expect(page.locator('#q-crime-kind-block').isVisible()).resolves.toBe(true);
    await page.tap('label[for="q-crime-kind-input"]');
    await page.tap('label[for="q-crime-kind-fraud"]');
    await expect(page.locator('#q-crime-kind-assault').isDisabled()).resolves.toBe(true);
    await expect(page.locator('#q-crime-kind-other').isDisabled()).resolves.toBe(true);
    await page.tap('label[for="q-crime-kind-fraud"]');
    await expect(page.locator('#q-crime-kind-other').isEnabled()).resolves.toBe(true);
    await expect(page.locator('#q-crime-kind-other-text').isVisible()).resolves.toBe(false);
    await page.tap('label[for="q-crime-kind-other"]');
    await expect(page.locator('#q-crime-kind-other-text').isVisible()).resolves.toBe(true);
    await page.fill('#q-crime-kind-other-text', 'Scam call');

    await page.tap('label[for="q-patrols-weekly"]');

    // Five code points (the emoji is two UTF-16 units), as the server counts them.
    await page.locator('#q-advice-input').pressSequentially('快点行动🚓');
    await expect(page.locator('#q-advice-count').textContent()).resolves.toBe('15 characters left');

    await page.screenshot({ path: screenshotPath('a-form-filled-js'), fullPage: true });
    await page.locator('.ranking').screenshot({ path: screenshotPath('a-ranking-js') });
    const receipt = await submitAndReadReceipt(page, () => page.tap('button[type="submit"]'), 'a-thanks');

    const stored = await storedResponse();
    expect(stored.receipt).toBe(receipt);
    expect(stored.answers).toEqual({
      concerns: ['fraud', 'vehicle-theft', 'other'],
      district: 'nanxun',
      safety: 4,
      victim: 'yes',
      'crime-kind': ['theft', 'other'],
      patrols: 'weekly',
      advice: '快点行动🚓',
    });
    expect(stored.otherText).toEqual({ concerns: 'Noise at night', 'crime-kind': 'Scam call' });
  });

  it('answers with JavaScript off, using the rank selects', async () => {
    const page = await openPhone({ javaScriptEnabled: false });
    await openForm(page);
    await expect(page.locator('html').getAttribute('class')).resolves.toBeNull();
    expect(await page.locator('.rank-list').count()).toBe(0);
    // Every question and every note shows, conditional or not.
    await expect(page.locator('#q-crime-kind-block').isVisible()).resolves.toBe(true);
    await expect(page.locator('#q-crime-kind-block .hint.condition').isVisible()).resolves.toBe(true);
    await expect(page.locator('#q-advice-count').textContent()).resolves.toBe('Up to 20 characters.');

    await page.selectOption('select[name="concerns.rank.1"]', 'burglary');
    await page.selectOption('select[name="concerns.rank.2"]', 'traffic');
    await page.selectOption('select[name="concerns.rank.3"]', 'vehicle-theft');
    await page.selectOption('#q-district-input', 'deqing');
    await page.tap('label[for="q-safety-2"]');
    await page.tap('label[for="q-victim-no"]');
    await page.screenshot({ path: screenshotPath('b-form-no-js'), fullPage: true });
    const receipt = await submitAndReadReceipt(page, () => page.tap('button[type="submit"]'), 'b-thanks-no-js');

    const stored = await storedResponse();
    expect(stored.receipt).toBe(receipt);
    expect(stored.answers).toEqual({ concerns: ['burglary', 'traffic', 'vehicle-theft'], district: 'deqing', safety: 2, victim: 'no' });
    expect(stored.otherText).toEqual({});
  });

  it('reorders the ranking with the keyboard alone, keeping focus on the moved item', async () => {
    const page = await openPhone();
    await openForm(page);
    await page.selectOption('#q-district-input', 'wuxing');
    await page.check('#q-safety-5');
    await page.check('#q-victim-no');

    // From the top of the page, Tab to "Move up" of "Traffic safety" (fourth).
    const upTraffic = 'Move up Traffic safety';
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    for (let presses = 0; presses < 40 && (await activeLabel(page)) !== upTraffic; presses += 1) await page.keyboard.press('Tab');
    expect(await activeLabel(page)).toBe(upTraffic);

    const live = page.locator('.ranking [aria-live="polite"]');
    for (const key of ['Enter', 'Space', 'Enter']) {
      await page.keyboard.press(key);
      expect(await activeLabel(page)).toBe(upTraffic);
    }
    expect(await rankOrder(page)).toEqual(['traffic', 'vehicle-theft', 'burglary', 'fraud', 'other']);
    await expect(live.textContent()).resolves.toBe('Traffic safety Rank 1');
    await expect(page.locator('.rank-item[data-value="traffic"] button.up').getAttribute('aria-disabled')).resolves.toBe('true');

    // At the top, "Move up" does nothing and keeps focus; "Move down" and back up again.
    await page.keyboard.press('Enter');
    expect(await activeLabel(page)).toBe(upTraffic);
    await page.keyboard.press('Tab');
    expect(await activeLabel(page)).toBe('Move down Traffic safety');
    await page.keyboard.press('Space');
    expect(await activeLabel(page)).toBe('Move down Traffic safety');
    await expect(live.textContent()).resolves.toBe('Traffic safety Rank 2');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    expect(await rankSelects(page)).toEqual(['traffic', 'vehicle-theft', 'burglary']);
    await page.locator('.ranking').screenshot({ path: screenshotPath('c-ranking-keyboard') });

    // On to the send button, still by keyboard.
    for (let presses = 0; presses < 40 && !(await page.evaluate(() => document.activeElement?.matches('button[type="submit"]'))); presses += 1) {
      await page.keyboard.press('Tab');
    }
    await submitAndReadReceipt(page, () => page.keyboard.press('Enter'), 'c-thanks-keyboard');
    expect((await storedResponse()).answers.concerns).toEqual(['traffic', 'vehicle-theft', 'burglary']);
  });

  it('sees the error summary focused after a mistake, with links to the fields and the answers kept', async () => {
    const page = await openPhone();
    await openForm(page);
    // "Other" ranked without saying what it is, and no district.
    await tapTwice(page, '.rank-item[data-value="other"] button.up');
    await page.tap('.rank-item[data-value="burglary"] button.up');
    expect(await rankSelects(page)).toEqual(['burglary', 'vehicle-theft', 'other']);
    await page.tap('label[for="q-safety-3"]');
    await page.tap('label[for="q-victim-no"]');
    await page.fill('#q-advice-input', 'More patrols');

    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.tap('button[type="submit"]')]);
    expect(response.status()).toBe(422);
    await page.waitForSelector('[data-error-summary]');
    await expect(page.title()).resolves.toMatch(/^Error: /);
    await expect(page.evaluate(() => document.activeElement?.hasAttribute('data-error-summary'))).resolves.toBe(true);
    const links = page.locator('[data-error-summary] a');
    await expect(links.evaluateAll((all) => all.map((a) => a.getAttribute('href')))).resolves.toEqual(['#q-concerns-other-text', '#q-district-input']);
    await expect(links.nth(1).textContent()).resolves.toBe('Choose an answer to “Where do you live?”');
    await page.screenshot({ path: screenshotPath('d-errors'), fullPage: true });

    // Answers kept: the ranking in the order sent, the choices, the text; the flagged "other" field shown.
    expect(await rankOrder(page)).toEqual(['burglary', 'vehicle-theft', 'other', 'fraud', 'traffic']);
    await expect(page.locator('#q-safety-3').isChecked()).resolves.toBe(true);
    await expect(page.locator('#q-victim-no').isChecked()).resolves.toBe(true);
    await expect(page.locator('#q-advice-input').inputValue()).resolves.toBe('More patrols');
    await expect(page.locator('#q-concerns-other-text').isVisible()).resolves.toBe(true);
    // The district has an error too, but "other" is not chosen there: its text field stays out of the way.
    await expect(page.locator('#q-district-other-text').isVisible()).resolves.toBe(false);

    // Keyboard: from the focused summary, Tab to a link and follow it.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await activeLabel(page)).toBe('q-district-input');
    // The "other" problem's link leads to the text field that needs filling in.
    await links.first().click();
    expect(await activeLabel(page)).toBe('q-concerns-other-text');

    await page.selectOption('#q-district-input', 'deqing');
    await page.fill('#q-concerns-other-text', 'Illegal parking');
    await submitAndReadReceipt(page, () => page.tap('button[type="submit"]'), 'd-thanks-after-fix');
    const stored = await storedResponse();
    expect(stored.answers).toEqual({ concerns: ['burglary', 'vehicle-theft', 'other'], district: 'deqing', safety: 3, victim: 'no', advice: 'More patrols' });
    expect(stored.otherText).toEqual({ concerns: 'Illegal parking' });
  });

  it('sees the conditional question appear and disappear with its condition', async () => {
    const page = await openPhone();
    await openForm(page, 'zh-CN');
    const block = page.locator('#q-crime-kind-block');
    await expect(block.isVisible()).resolves.toBe(false);
    await page.tap('label[for="q-victim-input"]');
    await expect(block.isVisible()).resolves.toBe(true);
    // The note for residents without JavaScript is not needed here.
    await expect(block.locator('.hint.condition').isVisible()).resolves.toBe(false);
    await page.screenshot({ path: screenshotPath('e-conditional-shown-zh'), fullPage: true });
    await page.tap('label[for="q-victim-no"]');
    await expect(block.isVisible()).resolves.toBe(false);
    await page.tap('label[for="q-victim-input"]');
    await expect(block.isVisible()).resolves.toBe(true);
  });
});
