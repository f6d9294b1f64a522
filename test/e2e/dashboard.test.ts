/** The results dashboard in Chromium: charts drawn from the tables, and tables that agree with the API. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurveyResponse } from '../../server/models/response.model.js';
import { launchBrowser, signInInBrowser, screenshotPath, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { createStaff, STAFF_PASSWORD } from '../utils/staff.js';

let minyi: RunningMinyi;
let browser: Browser;
const RESULTS = '/staff/b/huzhou-police/surveys/top-public-security-concerns/results';

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const { container } = minyi.test;
  const found = (await container.directory.find('huzhou-police', 'top-public-security-concerns'))!;
  const concerns = ['vehicle-theft', 'courtyard-burglary', 'telecom-fraud', 'traffic-safety', 'drugs'];
  const districts = found.bureau.districts.map((d) => d.id);
  const kinds = ['vehicle-theft', 'burglary', 'fraud', 'pickpocketing'];
  for (let i = 0; i < 40; i += 1) {
    // Every third resident was a victim, of one or two kinds: a multiple-choice column for the cross-tab.
    const victim: SurveyResponse['answers'] = i % 3 === 0 ? { victim: 'yes', 'victim-kind': i % 2 === 0 ? [kinds[i % 4]!, kinds[(i + 1) % 4]!] : [kinds[i % 4]!] } : { victim: 'no' };
    const response: SurveyResponse = {
      _id: new Types.ObjectId(), survey: found.survey._id, bureau: found.bureau._id, submissionId: new Types.ObjectId().toHexString(), receipt: 'R',
      answers: { 'top-concerns': [concerns[i % 5]!, concerns[(i + 1) % 5]!, concerns[(i + 3) % 5]!], district: districts[i % districts.length]!, 'neighbourhood-safety': (i % 5) + 1, ...victim, 'patrol-frequency': 'weekly' },
      otherText: {}, submittedAt: new Date(), day: `2026-11-${String(1 + (i % 9)).padStart(2, '0')}`, district: districts[i % districts.length]!, channel: 'web', locale: 'zh-CN', clientHash: null,
    };
    await container.responses.store(found.survey, response);
  }
  await container.tallyWriter.drain();
  await createStaff(container, 'analyst@huzhou.test', [{ role: 'analyst', bureau: found.bureau._id }]);
});
afterAll(async () => {
  await browser?.close();
  await minyi?.close();
});

describe('results dashboard in a browser', () => {
  it('draws every chart and shows the same numbers as the API', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await signInInBrowser(page, minyi.baseUrl, 'analyst@huzhou.test', STAFF_PASSWORD);
    await page.goto(`${minyi.baseUrl}${RESULTS}?lang=en`);

    const charts = page.locator('figure.chart canvas');
    await expect.poll(() => charts.count()).toBe(await page.locator('table[data-chart]').count());
    expect(await charts.count()).toBeGreaterThanOrEqual(6);
    // Each canvas has something drawn on it: count pixels that are not transparent.
    const drawn = await charts.evaluateAll((canvases) =>
      canvases.map((canvas) => {
        const c = canvas as HTMLCanvasElement;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted += 1;
        return painted;
      }),
    );
    for (const painted of drawn) expect(painted).toBeGreaterThan(500);
    // Share charts label their value axis in percent; the responses-per-day line keeps plain counts.
    const axisLabels = await page.evaluate(() =>
      Array.from(document.querySelectorAll('figure.chart canvas')).map((canvas) => {
        const chart = (window as unknown as { Chart: { getChart(c: Element): { scales: Record<string, { ticks: Array<{ label: string }> }> } } }).Chart.getChart(canvas)!;
        const table = canvas.closest('figure')!.nextElementSibling!;
        return { unit: table.getAttribute('data-unit'), labels: chart.scales.x!.ticks.map((t) => t.label) };
      }),
    );
    const shares = axisLabels.filter((a) => a.unit === '%');
    expect(shares.length).toBeGreaterThanOrEqual(3);
    for (const { labels } of shares) expect(labels.every((label) => /^\d[\d.,]*%$/.test(label))).toBe(true);
    for (const { labels } of axisLabels.filter((a) => a.unit === null)) expect(labels.some((label) => label.includes('%'))).toBe(false);

    // The tables say what the API says.
    const api = await (await page.request.get(`${minyi.baseUrl}/api/v1/surveys/huzhou-police/top-public-security-concerns/results`)).json();
    expect(await page.locator('.headline .big').first().textContent()).toBe(String(api.total));
    const safety = api.questions.find((q: { id: string }) => q.id === 'neighbourhood-safety');
    const safetyCounts = await page.locator('#result-neighbourhood-safety tbody tr td:nth-child(2)').allTextContents();
    expect(safetyCounts.map(Number)).toEqual(safety.rows.map((r: { count: number }) => r.count));
    const ranking = api.questions.find((q: { id: string }) => q.id === 'top-concerns');
    const firstChoices = await page.locator('#result-top-concerns tbody tr td:nth-child(3)').allTextContents();
    expect(firstChoices.map((text) => Number(text.split(' ')[0]))).toEqual(ranking.items.map((i: { firstChoice: number }) => i.firstChoice));

    await page.screenshot({ path: screenshotPath('dashboard'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('opens the cross-tab of district × a multiple-choice question with the numbers of the API', async () => {
    // bypassCSP: axe is injected as an inline script.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', bypassCSP: true });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await signInInBrowser(page, minyi.baseUrl, 'analyst@huzhou.test', STAFF_PASSWORD);
    await page.goto(`${minyi.baseUrl}${RESULTS}?lang=en`);
    // The form starts on two different questions; choose district × victim kind and show it.
    expect(await page.locator('#x-rows').inputValue()).not.toBe(await page.locator('#x-cols').inputValue());
    await page.locator('#x-rows').selectOption('district');
    await page.locator('#x-cols').selectOption('victim-kind');
    await Promise.all([page.waitForURL(/rows=district/), page.locator('#x-rank').locator('xpath=following-sibling::button').click()]);
    const table = page.locator('#crosstab-table');
    await expect.poll(() => table.count()).toBe(1);
    const shown = await table.locator('tbody tr').evaluateAll((rows) =>
      rows.map((row) => ({
        row: row.getAttribute('data-row'),
        base: Number(row.querySelector('[data-base]')!.getAttribute('data-base')),
        cells: Array.from(row.querySelectorAll('td[data-col]')).map((cell) => ({ col: cell.getAttribute('data-col'), n: Number(cell.getAttribute('data-n')), share: cell.querySelector('.meta')!.textContent })),
      })),
    );
    const api = await (await page.request.get(`${minyi.baseUrl}/api/v1/surveys/huzhou-police/top-public-security-concerns/crosstab?rows=district&cols=victim-kind`)).json();
    const percent = (share: number | null) => (share === null ? '—' : `${(Math.round(share * 1000) / 10).toFixed(1)}%`);
    expect(shown).toEqual(api.cells.map((line: { row: string; base: number; cells: Array<{ col: string; n: number; rowShare: number | null }> }) => ({
      row: line.row,
      base: line.base,
      cells: line.cells.map((cell) => ({ col: cell.col, n: cell.n, share: percent(cell.rowShare) })),
    })));
    // Something to compare: victims in several districts, and a multiple-choice base of respondents, not selections.
    expect(api.total).toBeGreaterThanOrEqual(14);
    expect(shown.filter((line) => line.base > 0).length).toBeGreaterThan(1);
    for (const line of api.cells) {
      const selections = line.cells.reduce((sum: number, cell: { n: number }) => sum + cell.n, 0);
      expect(selections).toBeGreaterThanOrEqual(line.base);
    }
    // axe on the table: no empty corner header, nothing else either.
    await page.addScriptTag({ content: readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8') });
    const axe = await page.evaluate(() => (window as unknown as { axe: { run(context: string, options: object): Promise<{ violations: Array<{ id: string }> }> } }).axe.run('#crosstab-table', { resultTypes: ['violations'] }));
    expect(axe.violations.map((v) => v.id)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
