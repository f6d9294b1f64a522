/**
 * The responses-per-day chart of a one-day survey: an axis of whole counts from 0, and the table's total n.
 * The dashboard, the export page and an "other" texts page pass axe.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Browser } from 'playwright-core';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurveyResponse } from '../../server/models/response.model.js';
import { launchBrowser, signInInBrowser, startMinyi, watchForProblems, type RunningMinyi } from '../utils/browser.js';
import { createStaff, STAFF_PASSWORD } from '../utils/staff.js';
import { everyTypeDefinition } from '../fixtures/survey-definitions.js';

let minyi: RunningMinyi;
let browser: Browser;
const RESULTS = '/staff/b/huzhou-police/surveys/one-day/results';

beforeAll(async () => {
  [minyi, browser] = await Promise.all([startMinyi(), launchBrowser()]);
  const { container } = minyi.test;
  const bureau = (await container.models.Bureau.findOne({ slug: 'huzhou-police' }).lean())!;
  const definition = everyTypeDefinition();
  definition.slug = 'one-day';
  await container.surveys.createFromDefinition(bureau._id as Types.ObjectId, container.definitionValidator.validate(definition), { status: 'open', opensAt: null, closesAt: null });
  const found = (await container.directory.find('huzhou-police', 'one-day'))!;
  // Seven responses, all on one day.
  for (let i = 0; i < 7; i += 1) {
    const response: SurveyResponse = {
      _id: new Types.ObjectId(), survey: found.survey._id, bureau: found.bureau._id, submissionId: new Types.ObjectId().toHexString(), receipt: 'R',
      answers: {}, otherText: {}, submittedAt: new Date(), day: '2026-11-05', district: null, channel: 'web', locale: 'zh-CN', clientHash: null,
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

describe('the daily chart of a one-day survey', () => {
  it('counts from 0 in whole numbers, and its table gives n', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', bypassCSP: true });
    const page = await context.newPage();
    const problems = watchForProblems(page);
    await signInInBrowser(page, minyi.baseUrl, 'analyst@huzhou.test', STAFF_PASSWORD);
    await page.goto(`${minyi.baseUrl}${RESULTS}?lang=en`);
    const line = page.locator('table[data-chart="line"]');
    await expect.poll(() => page.locator('figure.chart canvas').count()).toBeGreaterThan(0);
    const axis = await line.evaluate((table) => {
      const canvas = table.previousElementSibling!.querySelector('canvas')!;
      const chart = (window as unknown as { Chart: { getChart(c: Element): { scales: Record<string, { min: number; max: number; ticks: Array<{ value: number }> }> } } }).Chart.getChart(canvas)!;
      return { min: chart.scales.y!.min, max: chart.scales.y!.max, ticks: chart.scales.y!.ticks.map((t) => t.value) };
    });
    expect(axis.min).toBe(0);
    expect(axis.max).toBeGreaterThanOrEqual(7);
    for (const tick of axis.ticks) expect(Number.isInteger(tick), `tick ${tick}`).toBe(true);
    expect(await line.locator('tbody tr').count()).toBe(1);
    expect(await line.locator('tfoot td').textContent()).toBe('7');
    // Every chart's table states its n.
    const tables = page.locator('table[data-chart]');
    for (let i = 0; i < (await tables.count()); i += 1) expect(await tables.nth(i).locator('tfoot').count(), `table ${i}`).toBe(1);
    // Staff pages of this work, through axe (injected inline, hence bypassCSP).
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    for (const path of [RESULTS, RESULTS.replace('/results', '/export'), `${RESULTS}/text/crime-kind`]) {
      await page.goto(`${minyi.baseUrl}${path}?lang=en`);
      await page.addScriptTag({ content: axe });
      const results = await page.evaluate(() => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, { resultTypes: ['violations'] }));
      expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), path).toEqual([]);
    }
    expect(problems).toEqual([]);
    await context.close();
  });
});
