/**
 * The survey builder as a bureau manager uses it: question types from cards, options typed one per line
 * (and pasted from a spreadsheet), number inputs, a condition set by ticking an earlier question's options,
 * reordering, the phone preview, and a resident who then sees the condition work. Once with JavaScript on a
 * desktop in Chinese, once without it on a phone in English; axe checks the builder in both.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Survey } from '../../server/models/survey.model.js';
import { launchBrowser, PHONE, screenshotPath, signInInBrowser, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { createStaff, STAFF_PASSWORD } from '../utils/staff.js';
import { scaled } from '../utils/time.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const BUREAU = '/staff/b/huzhou-police';
const DESKTOP = { viewport: { width: 1366, height: 900 } } as const;

let minyi: RunningMinyi;
let browser: Browser;

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const bureau = await minyi.test.container.models.Bureau.findOne({ slug: 'huzhou-police' }).lean();
  await createStaff(minyi.test.container, 'builder@huzhou.test', [{ role: 'manager', bureau: bureau!._id }]);
}, scaled(120_000));
afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

async function axe(page: Page): Promise<void> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(() => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, { resultTypes: ['violations'] }));
  const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  expect(found, `axe on ${page.url()}`).toEqual([]);
}

/** Clicks a button that submits the form and waits for the page that answers (a redirect to a #fragment too). */
async function submit(page: Page, button: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

/** Where the element is: inside the viewport (the page kept the author's place) or not. */
const inViewport = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => {
    const box = el.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  });

interface Run {
  name: string;
  javaScript: boolean;
  locale: 'zh-CN' | 'en';
  device: typeof DESKTOP | typeof PHONE;
  slug: string;
  text: {
    card: (type: string) => RegExp;
    save: string;
    slugError: RegExp;
    optionsError: RegExp;
  };
}

const RUNS: Run[] = [
  {
    name: 'desktop-zh-js',
    javaScript: true,
    locale: 'zh-CN',
    device: DESKTOP,
    slug: 'night-safety',
    text: {
      card: (type) => new RegExp({ ranking: '排序题', rating: '评分题', text: '填空题' }[type]!),
      save: '保存',
      slugError: /只能用小写字母 a–z、数字和连字符/,
      optionsError: /至少填写 2 个选项/,
    },
  },
  {
    name: 'phone-en-nojs',
    javaScript: false,
    locale: 'en',
    device: PHONE,
    slug: 'night-safety-en',
    text: {
      card: (type) => new RegExp({ ranking: '^Ranking', rating: '^Rating scale', text: '^Free text' }[type]!),
      save: 'Save',
      slugError: /Use only lower-case letters a–z, digits and single hyphens/,
      optionsError: /Give at least 2 options/,
    },
  },
];

describe('the survey builder', () => {
  for (const run of RUNS) {
    it(`builds a survey with a ranking, a rating and a conditional question (${run.name})`, async () => {
      const context = await browser.newContext({ ...run.device, javaScriptEnabled: run.javaScript, locale: run.locale, bypassCSP: true });
      const page = await context.newPage();
      const problems = watchForProblems(page);
      await signInInBrowser(page, minyi.baseUrl, 'builder@huzhou.test', STAFF_PASSWORD);
      await page.goto(`${minyi.baseUrl}${BUREAU}/surveys/new?lang=${run.locale}`);
      await page.locator('#blank-slug').fill(run.slug);
      await submit(page, page.locator('button[name=source][value=blank]'));
      expect(page.url()).toMatch(/\/edit\?done=created/);
      const edit = page.url().replace(/\?.*$/, '');

      // Every setting has a proper input: one-line ids, numbers with spinners, no textarea where a line is meant.
      expect(await page.locator('[name="q.0.id"]').evaluate((el) => el.tagName)).toBe('INPUT');
      await page.locator('#f-title-zh-CN').fill('夜间治安问卷');
      await page.locator('#f-title-en').fill('Night-time safety');

      // A bad address is explained in words, in the page's language, and what was typed stays.
      await page.locator('#f-slug').fill('Night Safety!');
      await submit(page, page.locator('.builder-savebar button[value=save]'));
      expect(await page.locator('#f-slug-error').textContent()).toMatch(run.text.slugError);
      expect(await page.locator('#f-slug').inputValue()).toBe('Night Safety!');
      expect(await page.locator('#f-title-en').inputValue()).toBe('Night-time safety');
      expect(await page.content()).not.toContain('expected ^');
      await page.locator('#f-slug').fill(run.slug);

      // The first question: its options typed one per line in each language.
      await page.locator('#f-q-0-title-zh-CN').fill('您晚上经常出门吗');
      await page.locator('#f-q-0-title-en').fill('Do you go out at night?');
      await page.locator('#f-q-0-options-zh-CN').fill('经常\n偶尔\n从不');
      await page.locator('#f-q-0-options-en').fill('Often\nSometimes\nNever');

      // A ranking question from its card: the page comes back at the new question, not at the top.
      await submit(page, page.getByRole('button', { name: run.text.card('ranking') }));
      expect(page.url()).toMatch(/#question-1$/);
      expect(await inViewport(page, '#question-1')).toBe(true);
      expect(await page.locator('#f-q-0-options-en').inputValue()).toBe('Often\nSometimes\nNever');
      await page.locator('#f-q-1-title-zh-CN').fill('请排出您最关心的问题');
      await page.locator('#f-q-1-title-en').fill('Rank your concerns');
      const rows = '电动车被盗\tE-bike theft\n入室盗窃\tBurglary\n电信诈骗\tPhone fraud';
      if (run.javaScript) {
        // Pasted from Excel: the two columns land in the two boxes.
        await page.locator('#f-q-1-options-zh-CN').evaluate((area, text) => {
          const data = new DataTransfer();
          data.setData('text/plain', text);
          area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        }, rows);
        expect(await page.locator('#f-q-1-options-en').inputValue()).toBe('E-bike theft\nBurglary\nPhone fraud');
      } else {
        // Without a script the server splits the pasted columns.
        await page.locator('#f-q-1-options-zh-CN').fill(rows);
      }
      expect(await page.locator('#f-q-1-rankCount').getAttribute('type')).toBe('number');
      await page.locator('#f-q-1-rankCount').fill('2');

      // A rating question.
      await submit(page, page.getByRole('button', { name: run.text.card('rating') }));
      expect(page.url()).toMatch(/#question-2$/);
      expect(await inViewport(page, '#question-2')).toBe(true);
      expect(await page.locator('#f-q-1-options-en').inputValue()).toBe('E-bike theft\nBurglary\nPhone fraud');
      await page.locator('#f-q-2-title-zh-CN').fill('您觉得夜间安全吗');
      await page.locator('#f-q-2-title-en').fill('How safe do you feel at night?');
      for (const [field, zh, en] of [['lowLabel', '很不安全', 'Very unsafe'], ['highLabel', '很安全', 'Very safe']] as const) {
        await page.locator(`#f-q-2-${field}-zh-CN`).fill(zh);
        await page.locator(`#f-q-2-${field}-en`).fill(en);
      }

      // Saving with an empty option list is refused beside the options, keeping everything else typed.
      await page.locator('#f-q-0-options-zh-CN').fill('');
      await page.locator('#f-q-0-options-en').fill('');
      await submit(page, page.locator('.builder-savebar button[value=save]'));
      expect(await page.locator('#f-q-0-options').textContent()).toMatch(run.text.optionsError);
      expect(await page.locator('#f-q-2-highLabel-en').inputValue()).toBe('Very safe');
      await page.locator('#f-q-0-options-zh-CN').fill('经常\n偶尔\n从不');
      await page.locator('#f-q-0-options-en').fill('Often\nSometimes\nNever');

      // A free-text question shown only to those who go out at night: chosen by question, then ticked.
      await submit(page, page.getByRole('button', { name: run.text.card('text') }));
      expect(page.url()).toMatch(/#question-3$/);
      await page.locator('#f-q-3-title-zh-CN').fill('夜里哪里让您觉得不安全');
      await page.locator('#f-q-3-title-en').fill('Where do you feel unsafe at night?');
      const conditionSelect = page.locator('#f-q-3-showIf-question');
      const choices = await conditionSelect.locator('option').allTextContents();
      expect(choices).toContain(run.locale === 'en' ? 'Question 1: Do you go out at night?' : '第 1 题：您晚上经常出门吗');
      await conditionSelect.selectOption('q1');
      if (!run.javaScript) {
        await submit(page, page.locator('#question-3 button[value="condition:3"]'));
        expect(page.url()).toMatch(/#question-3$/);
      }
      const often = run.locale === 'en' ? 'Often' : '经常';
      const sometimes = run.locale === 'en' ? 'Sometimes' : '偶尔';
      const group = page.locator('#f-q-3-showIf .condition-answers[data-source=q1]');
      await group.getByLabel(often, { exact: true }).check();
      await group.getByLabel(sometimes, { exact: true }).check();

      // Reorder: the rating before the ranking, by drag with a script and by the arrow button without one.
      const loaded = page.waitForEvent('load');
      if (run.javaScript) {
        // The drag events a hand makes (Chromium's own gesture detection in a headless window is not what is tested here).
        await page.evaluate(() => {
          const data = new DataTransfer();
          const fire = (el: Element, type: string) => el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
          const target = document.querySelector('#question-1')!;
          fire(document.querySelector('#question-2 .drag-handle')!, 'dragstart');
          fire(target, 'dragenter');
          fire(target, 'dragover');
          fire(target, 'drop');
        });
      } else {
        await page.locator('#question-2 button[value="move-up:2"]').click();
      }
      await loaded;
      expect(page.url()).toMatch(/#question-1$/);
      expect(await page.locator('[name="q.1.type"]').inputValue()).toBe('rating');
      expect(await page.locator('[name="q.2.type"]').inputValue()).toBe('ranking');
      await page.screenshot({ path: screenshotPath(`builder-${run.name}`), fullPage: true });
      if (run.javaScript) await axe(page); // axe is a script: the page without scripts is audited by the last test

      await submit(page, page.locator('.builder-savebar button[value=save]'));
      expect(page.url()).toMatch(/\/edit\?done=saved/);
      expect(page.url().startsWith(edit.replace(/\/surveys\/[^/]+\/edit$/, `/surveys/${run.slug}/edit`))).toBe(true);
      const survey = (await minyi.test.container.models.Survey.findOne({ slug: run.slug }).lean()) as unknown as Survey;
      expect(survey.questions.map((q) => q.type)).toEqual(['single', 'rating', 'ranking', 'text']);
      expect(survey.questions[0]).toMatchObject({ options: [{ id: 'often' }, { id: 'sometimes' }, { id: 'never' }] });
      expect(survey.questions[2]).toMatchObject({ rankCount: 2, options: [{ id: 'e-bike-theft', label: { 'zh-CN': '电动车被盗', en: 'E-bike theft' } }, { id: 'burglary' }, { id: 'phone-fraud' }] });
      expect(survey.questions[3]!.showIf).toEqual({ question: 'q1', anyOf: ['often', 'sometimes'] });

      // The phone preview beside (or below) the form shows the saved survey.
      const preview = page.frameLocator('iframe[name=preview-frame]');
      await preview.locator('text=Rank your concerns').or(preview.locator('text=请排出您最关心的问题')).first().waitFor();
      await page.screenshot({ path: screenshotPath(`builder-${run.name}-saved`), fullPage: true });
      if (run.javaScript) await axe(page); // axe is a script: the page without scripts is audited by the last test
      expect(problems).toEqual([]);

      // Publish it.
      await page.goto(`${minyi.baseUrl}${BUREAU}/surveys/${run.slug}`);
      await submit(page, page.locator(`form[action$="/lifecycle/open"] button`));
      expect((await minyi.test.container.models.Survey.findOne({ slug: run.slug }).lean())!.status).toBe('open');
      await context.close();

      // A resident sees the free-text question only after answering that they go out at night.
      const phone = await browser.newContext({ ...PHONE, locale: run.locale });
      const resident = await phone.newPage();
      const residentProblems = watchForProblems(resident);
      await resident.goto(`${minyi.baseUrl}/b/huzhou-police/s/${run.slug}?lang=${run.locale}`);
      const conditional = resident.locator('.question-block[data-question=q4]');
      expect(await conditional.isHidden()).toBe(true);
      await resident.getByLabel(run.locale === 'en' ? 'Never' : '从不', { exact: true }).check({ force: true });
      expect(await conditional.isHidden()).toBe(true);
      await resident.getByLabel(often, { exact: true }).check({ force: true });
      await conditional.waitFor({ state: 'visible' });
      await resident.screenshot({ path: screenshotPath(`builder-${run.name}-resident`), fullPage: true });
      expect(residentProblems).toEqual([]);
      await phone.close();
    }, scaled(300_000));
  }

  it('asks before leaving with unsaved changes, and only then', async () => {
    const context = await browser.newContext({ ...DESKTOP, locale: 'en' });
    const page = await context.newPage();
    await signInInBrowser(page, minyi.baseUrl, 'builder@huzhou.test', STAFF_PASSWORD);
    await page.goto(`${minyi.baseUrl}${BUREAU}/surveys/top-public-security-concerns/edit?lang=en`);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.type());
      void dialog.dismiss();
    });
    // Nothing changed: leaving asks nothing.
    await submit(page, page.locator('.meta a'));
    expect(page.url()).toMatch(/\/surveys\/top-public-security-concerns$/);
    expect(dialogs).toEqual([]);
    await page.goBack();
    await page.locator('#f-title-en').fill('Changed title');
    await page.locator('.meta a').click();
    await expect.poll(() => dialogs).toEqual(['beforeunload']);
    expect(page.url()).toContain('/edit');
    await context.close();
  }, scaled(120_000));

  it('looks right in both languages at both sizes', async () => {
    for (const [locale, device, name] of [['en', DESKTOP, 'desktop-en'], ['zh-CN', PHONE, 'phone-zh']] as const) {
      const context = await browser.newContext({ ...device, locale, bypassCSP: true });
      const page = await context.newPage();
      await signInInBrowser(page, minyi.baseUrl, 'builder@huzhou.test', STAFF_PASSWORD);
      await page.goto(`${minyi.baseUrl}${BUREAU}/surveys/top-public-security-concerns/edit?lang=${locale}`);
      // Nothing wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(device.viewport.width);
      await page.screenshot({ path: screenshotPath(`builder-demo-${name}`), fullPage: true });
      await axe(page);
      await context.close();
    }
  }, scaled(120_000));
});
