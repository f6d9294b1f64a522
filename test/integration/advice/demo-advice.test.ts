/** The demo: a fresh install's bureaus have an advice box with a few hundred cases, replies and ratings. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { newAgent } from '../../utils/resident.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.container.demo.seedIfEmpty();
});
afterAll(async () => t?.close());

describe('demo advice', () => {
  it('gives every demo bureau topics, a few hundred varied cases and ratings', async () => {
    const bureaus = await t.container.models.Bureau.find().lean();
    expect(bureaus.length).toBeGreaterThan(1);
    for (const bureau of bureaus) {
      expect(bureau.adviceCategories.length).toBeGreaterThanOrEqual(5);
      const items = await t.container.models.AdviceItem.find({ bureau: bureau._id }).lean();
      expect(items.length).toBeGreaterThanOrEqual(200);
      expect(new Set(items.map((i) => i.status))).toEqual(new Set(['received', 'in-progress', 'replied', 'closed']));
      expect(new Set(items.map((i) => i.category)).size).toBe(bureau.adviceCategories.length);
      expect(items.some((i) => i.locale === 'en')).toBe(true);
      expect(items.some((i) => i.repliedAt && i.repliedAt > i.dueAt)).toBe(true);
      // Never approved for public pages without the resident's consent.
      expect(items.filter((i) => i.publicApproved && !i.publishConsent)).toEqual([]);
      const months = new Set(items.map((i) => i.receivedAt.toISOString().slice(0, 7)));
      expect(months.size).toBeGreaterThanOrEqual(4);
      const votes = await t.container.models.SatisfactionVote.find({ bureau: bureau._id }).lean();
      expect(new Set(votes.map((v) => v.source))).toEqual(new Set(['advice', 'code']));
      expect(new Set(votes.map((v) => v.rating)).size).toBe(3);
    }
    // The Huzhou manager's queue and the public advice box work on it.
    expect((await newAgent(t.app).get('/b/huzhou-police/advice')).status).toBe(200);
  });
});
