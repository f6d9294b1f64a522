/**
 * Resident pages without rough edges, on a phone (360×740) and a laptop (1366×900): authors' long words
 * stay within the viewport, a scheduled survey says when it opens, the text counter and the server agree on
 * emoji, question numbers skip none, every tap target is at least 44 px high, the rating scale spans the
 * width, "please specify" sits with a ranked "other", and switching language keeps the answers.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurveyDefinition } from '../../server/models/survey-definition.types.js';
import { everyTypeDefinition } from '../fixtures/survey-definitions.js';
import { launchBrowser, PHONE, screenshotPath, smallTapTargets, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { createTestBureau } from '../utils/resident.js';

const LAPTOP = { viewport: { width: 1366, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 } as const;
const VIEWPORTS = [
  ['phone', PHONE],
  ['laptop', LAPTOP],
] as const;
/** An author's unbroken 200-character word (the longest a title may be), as pasted URLs and long words are. */
const LONG_WORD = `https://example.gov.cn/${'a'.repeat(177)}`;
const BUREAU = '/b/test-bureau';
const FORM = `${BUREAU}/s/every-type`;
const LONG = `${BUREAU}/s/long-words`;
const SCHEDULED = `${BUREAU}/s/poster-ahead`;
const TEXT = `${BUREAU}/s/long-text`;
const DAY = 24 * 3600 * 1000;

let minyi: RunningMinyi;
let browser: Browser;

function variant(slug: string, mutate: (d: SurveyDefinition) => void): SurveyDefinition {
  const definition = everyTypeDefinition();
  definition.slug = slug;
  mutate(definition);
  return definition;
}

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const { container } = minyi.test;
  const bureau = await createTestBureau(container);
  const create = (definition: SurveyDefinition, schedule: { status: 'open' | 'scheduled'; opensAt?: Date; closesAt?: Date } = { status: 'open' }) =>
    container.surveys.createFromDefinition(bureau._id, container.definitionValidator.validate(definition), { opensAt: null, closesAt: null, ...schedule });
  await create(everyTypeDefinition());
  const long = { 'zh-CN': LONG_WORD, en: LONG_WORD };
  await create(
    variant('long-words', (d) => {
      d.title = long;
      d.description = long;
      for (const q of d.questions) {
        q.help = long;
        if ('options' in q && q.options) q.options[0]!.label = long;
        if (q.type === 'rating') Object.assign(q, { lowLabel: long, highLabel: long });
      }
    }),
  );
  // Opens in two days at 09:30 in the bureau's time zone (UTC+8).
  const opensAt = new Date(Math.ceil((Date.now() + 2 * DAY) / DAY) * DAY + 1.5 * 3600 * 1000);
  await create(variant('poster-ahead', (d) => (d.title = { 'zh-CN': '提前张贴的问卷', en: 'A survey announced ahead' })), { status: 'scheduled', opensAt, closesAt: new Date(opensAt.getTime() + 30 * DAY) });
  await create(
    variant('long-text', (d) => {
      for (const q of d.questions) {
        if (q.type === 'text') q.maxLength = 2000;
        if (q.type === 'rating') q.scale = 10;
      }
    }),
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

/** What a page must never do: scroll sideways. */
async function expectWithinViewport(page: Page, what: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `${what}: page ${scrollWidth} px wide in a ${innerWidth} px viewport`).toBeLessThanOrEqual(innerWidth);
}


/** The numbers in front of the questions a resident sees. */
async function questionNumbers(page: Page): Promise<string[]> {
  return page.locator('.question-block[data-question]:visible .q-number').allTextContents();
}

describe.each(VIEWPORTS)('on a %s', (device, viewport) => {
  let context: BrowserContext;
  const problems: string[][] = [];
  const open = async (path: string, status = 200): Promise<Page> => {
    const page = await context.newPage();
    problems.push(watchForProblems(page));
    const response = await page.goto(`${minyi.baseUrl}${path}`);
    expect(response?.status(), path).toBe(status);
    return page;
  };

  beforeAll(async () => {
    context = await browser.newContext({ ...viewport, locale: 'en-US' });
    // The ranking starts in a random order for residents; listed order here, so tests can name positions.
    await context.addInitScript(() => {
      Math.random = () => 0.5;
    });
  });
  afterAll(async () => {
    await context?.close();
    // No page had a script error or a refused inline script or style.
    expect(problems.flat()).toEqual([]);
  });

  it("keeps an author's 200-character word within the viewport: survey, bureau page, embed, results", async () => {
    for (const locale of ['zh-CN', 'en']) {
      for (const path of [LONG, BUREAU, `/embed${LONG}`, `${LONG}/results`]) {
        const page = await open(`${path}?lang=${locale}`);
        await expectWithinViewport(page, path);
        if (path === LONG && locale === 'en') await page.screenshot({ path: screenshotPath(`pages-long-word-${device}`), fullPage: true });
        await page.close();
      }
    }
    // Without the script as well (every question shown, rank selects instead of the list).
    const noScript = await browser.newContext({ ...viewport, javaScriptEnabled: false });
    const page = await noScript.newPage();
    await page.goto(`${minyi.baseUrl}${LONG}?lang=en`);
    await expectWithinViewport(page, `${LONG} without JavaScript`);
    await noScript.close();
  });

  it('says when a scheduled survey opens, with the bureau, on its page and its embed card', async () => {
    const page = await open(`${SCHEDULED}?lang=en`);
    await expect(page.locator('main').textContent()).resolves.toMatch(/This survey opens on \w+ \d{1,2}, \d{4} at 9:30 AM\./);
    await expect(page.locator('main').textContent()).resolves.toContain('Test City Police');
    await expect(page.locator('form').count()).resolves.toBe(0);
    await page.screenshot({ path: screenshotPath(`pages-scheduled-${device}`), fullPage: true });
    const chinese = await open(`${SCHEDULED}?lang=zh-CN`);
    await expect(chinese.locator('main').textContent()).resolves.toMatch(/本问卷将于 \d{4}年\d{1,2}月\d{1,2}日 09:30 开始接受回答。/);
    const embed = await open(`/embed${SCHEDULED}?lang=en`);
    await expect(embed.locator('main').textContent()).resolves.toContain('This survey opens on');
    await Promise.all([page.close(), chinese.close(), embed.close()]);
  });

  it('lets a resident type 2,000 characters with emoji, counts them as the server does, and the server agrees', async () => {
    // Each answer from its own browser: the survey takes one vote per browser.
    const answer = async (text: string) => {
      const page = await (await browser.newContext({ ...viewport })).newPage();
      await page.goto(`${minyi.baseUrl}${TEXT}?lang=en`);
      await page.selectOption('#q-district-input', 'wuxing');
      await page.check('#q-safety-input');
      await page.check('#q-victim-no');
      await page.click('.rank-confirm');
      await page.fill('#q-advice-input', text);
      return page;
    };
    // 2,000 characters, 2,010 UTF-16 units: a maxlength of 2000 would have cut it short.
    const exact = `${'a'.repeat(1990)}${'😀'.repeat(10)}`;
    const page = await answer(exact);
    await expect(page.inputValue('#q-advice-input')).resolves.toBe(exact);
    await expect(page.locator('#q-advice-count').textContent()).resolves.toBe('0 characters left');
    await Promise.all([page.waitForURL(/\/thanks\//), page.click('button[type="submit"]:not([form])')]);
    await page.context().close();

    const oneTooMany = await answer(`${'a'.repeat(1991)}${'😀'.repeat(10)}`);
    await expect(oneTooMany.locator('#q-advice-count').textContent()).resolves.toBe('1 characters too many');
    const [response] = await Promise.all([oneTooMany.waitForResponse((r) => r.request().method() === 'POST'), oneTooMany.click('button[type="submit"]:not([form])')]);
    expect(response.status()).toBe(422);
    await expect(oneTooMany.locator('.error-summary').textContent()).resolves.toContain('must be 2000 characters or fewer');
    await oneTooMany.context().close();
  });

  it('numbers the questions a resident sees, with and without JavaScript', async () => {
    const page = await open(`${FORM}?lang=en`);
    await page.check('#q-victim-no');
    // "Which kind?" (question 5 of 7) is hidden: the patrol question after it is 5, not 6, for every reader.
    expect(await questionNumbers(page)).toEqual(['1. ', '2. ', '3. ', '4. ', '5. ', '6. ']);
    await expect(page.getByRole('group', { name: '5. How often do you see patrols? (optional)' }).count()).resolves.toBe(1);
    await page.check('#q-victim-input');
    expect(await questionNumbers(page)).toEqual(['1. ', '2. ', '3. ', '4. ', '5. ', '6. ', '7. ']);
    await expect(page.getByRole('group', { name: '6. How often do you see patrols? (optional)' }).count()).resolves.toBe(1);
    await page.close();
    const noScript = await browser.newContext({ ...viewport, javaScriptEnabled: false });
    const plain = await noScript.newPage();
    await plain.goto(`${minyi.baseUrl}${FORM}?lang=en`);
    expect(await questionNumbers(plain)).toEqual(['1. ', '2. ', '3. ', '4. ', '5. ', '6. ', '7. ']);
    await noScript.close();
  });

  it('spreads the 10-point scale over the full width, end labels under its ends', async () => {
    const page = await (await browser.newContext({ ...viewport })).newPage();
    await page.goto(`${minyi.baseUrl}${TEXT}?lang=en`);
    const layout = await page.evaluate(() => {
      const scale = document.querySelector('.scale')!;
      const cells = Array.from(scale.querySelectorAll('.choice')).map((c) => c.getBoundingClientRect());
      const ends = Array.from(document.querySelectorAll('.scale-ends span')).map((s) => s.getBoundingClientRect());
      const question = scale.closest('fieldset')!.getBoundingClientRect();
      return { cells: cells.map((c) => ({ top: c.top, left: c.left, right: c.right, width: c.width })), ends: ends.map((e) => ({ left: e.left, right: e.right })), question: { left: question.left, right: question.right }, viewport: window.innerWidth };
    });
    expect(layout.cells).toHaveLength(10);
    expect(new Set(layout.cells.map((c) => Math.round(c.top))).size, 'one row').toBe(1);
    expect(Math.max(...layout.cells.map((c) => c.width)) - Math.min(...layout.cells.map((c) => c.width)), 'equal columns').toBeLessThan(1);
    expect(layout.cells[0]!.left).toBeCloseTo(layout.question.left, 0);
    expect(layout.cells[9]!.right).toBeCloseTo(layout.question.right, 0);
    expect(layout.cells[9]!.right).toBeLessThanOrEqual(layout.viewport);
    expect(layout.ends[0]!.left).toBeCloseTo(layout.cells[0]!.left, 0);
    expect(layout.ends[1]!.right).toBeCloseTo(layout.cells[9]!.right, 0);
    await page.locator('.scale').first().screenshot({ path: screenshotPath(`pages-scale-10-${device}`) });
    await page.context().close();
  });

  it('puts "please specify" of a ranked "other" right under it', async () => {
    const page = await open(`${FORM}?lang=en`);
    const other = page.locator('.rank-item[data-value="other"]');
    // Ranked into the top 3, "other" asks for its words.
    await other.locator('.up').click();
    await other.locator('.up').click();
    const box = page.locator('#q-concerns-other-text');
    await expect(box.isVisible()).resolves.toBe(true);
    const [item, field] = await Promise.all([other.locator('.item-label').boundingBox(), box.boundingBox()]);
    expect(field!.y).toBeGreaterThan(item!.y);
    expect(field!.y - (item!.y + item!.height)).toBeLessThan(60);
    await page.close();
  });

  it.each([true, false])('keeps the answers typed when the resident switches language (JavaScript: %s)', async (javaScriptEnabled) => {
    const own = await browser.newContext({ ...viewport, javaScriptEnabled });
    const page = await own.newPage();
    await page.goto(`${minyi.baseUrl}${FORM}?lang=zh-CN`);
    await page.check('#q-victim-input');
    await page.check('#q-crime-kind-input');
    await page.selectOption('#q-district-input', 'nanxun');
    await page.fill('#q-advice-input', '多巡逻 🚓');
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'English' }).click()]);
    expect(response.status()).toBe(200);
    await page.waitForLoadState();
    await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('en');
    await expect(page.locator('h1').textContent()).resolves.toBe('Every question type');
    await expect(page.isChecked('#q-victim-input')).resolves.toBe(true);
    await expect(page.isChecked('#q-crime-kind-input')).resolves.toBe(true);
    await expect(page.inputValue('#q-district-input')).resolves.toBe('nanxun');
    await expect(page.inputValue('#q-advice-input')).resolves.toBe('多巡逻 🚓');
    await expect(page.locator('.error-summary').count()).resolves.toBe(0);
    await own.close();
  });

  it('gives every tap target on resident pages 44 px of height', async () => {
    const voted = await open(`${FORM}?lang=en`);
    await voted.selectOption('#q-district-input', 'wuxing');
    await voted.check('#q-safety-input');
    await voted.check('#q-victim-no');
    await voted.click('.rank-confirm');
    await Promise.all([voted.waitForURL(/\/thanks\//), voted.click('button[type="submit"]:not([form])')]);
    const thanks = new URL(voted.url());
    const paths = ['/', BUREAU, FORM, `${FORM}/results`, `${thanks.pathname}${thanks.search}`, SCHEDULED, `${SCHEDULED}/results`, `/embed${FORM}`, `${BUREAU}/s/no-such-survey`, LONG, TEXT];
    const found: string[] = [];
    for (const path of paths) {
      const page = await open(path, path.endsWith('no-such-survey') ? 404 : 200);
      found.push(...(await smallTapTargets(page)).map((t) => `${path}: ${t}`));
      await page.close();
    }
    // The already-voted page (the form again in this browser), and the form sent back with mistakes.
    const again = await open(FORM);
    found.push(...(await smallTapTargets(again)).map((t) => `already voted: ${t}`));
    await again.close();
    const fresh = await browser.newContext({ ...viewport });
    const mistakes = await fresh.newPage();
    await mistakes.goto(`${minyi.baseUrl}${FORM}?lang=en`);
    await Promise.all([mistakes.waitForSelector('[data-error-summary]'), mistakes.click('button[type="submit"]:not([form])')]);
    found.push(...(await smallTapTargets(mistakes)).map((t) => `sent back: ${t}`));
    await mistakes.screenshot({ path: screenshotPath(`pages-sent-back-${device}`), fullPage: true });
    await fresh.close();
    await voted.close();
    expect(found).toEqual([]);
  });
});
