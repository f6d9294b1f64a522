import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurveyResponse } from '../../../server/models/response.model.js';
import type { Survey } from '../../../server/models/survey.model.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey } from '../../utils/resident.js';
import { createStaff, signedInAgent } from '../../utils/staff.js';

let t: TestApp;

async function wave(bureauSlug: string, slug: string, opensAt: string, firstChoices: string[]): Promise<Survey> {
  const { survey } = await createBureauWithSurvey(t.container, { slug: bureauSlug, opensAt: new Date(opensAt), mutate: (d) => { d.slug = slug; } });
  await t.container.models.Survey.updateOne({ _id: survey._id }, { $set: { template: 'top-public-security-concerns' } });
  const others = ['fraud', 'burglary', 'traffic', 'vehicle-theft'];
  for (const first of firstChoices) {
    const concerns = [first, ...others.filter((o) => o !== first)].slice(0, 3);
    const response: SurveyResponse = { _id: new Types.ObjectId(), survey: survey._id, bureau: survey.bureau, submissionId: new Types.ObjectId().toHexString(), receipt: 'R', answers: { concerns, district: 'wuxing', safety: 3, victim: 'no' }, otherText: {}, submittedAt: new Date(), day: '2026-11-01', district: 'wuxing', channel: 'web', locale: 'zh-CN', clientHash: null };
    await t.container.responses.store(survey, response);
  }
  await t.container.tallyWriter.drain();
  return survey;
}

beforeAll(async () => {
  t = await createTestApp();
  // Bureau A: two waves; vehicle theft rises to first. Bureau B: one wave, fraud first.
  await wave('bureau-a', 'spring', '2026-03-01', ['fraud', 'fraud', 'vehicle-theft']);
  await wave('bureau-a', 'autumn', '2026-09-01', ['vehicle-theft', 'vehicle-theft', 'fraud']);
  await wave('bureau-b', 'autumn-b', '2026-09-01', ['fraud', 'fraud']);
  await createBureauWithSurvey(t.container, { slug: 'bureau-c', mutate: (d) => { d.slug = 'hidden'; } });
});
afterAll(async () => t?.close());

describe('comparison across bureaus', () => {
  it("puts each bureau's latest wave side by side, with the change since its previous wave", async () => {
    await createStaff(t.container, 'planner@test.cn', [{ role: 'planner', region: 'Zhejiang' }]);
    const planner = await signedInAgent(t.app, 'planner@test.cn');
    const home = await planner.get('/staff?lang=en').expect(200);
    expect(home.text).toContain('href="/staff/compare/top-public-security-concerns"');
    const html = (await planner.get('/staff/compare/top-public-security-concerns?lang=en').expect(200)).text;
    // Bureau A, autumn (N = 3 points for first): [vt, fraud, burglary] ×2 and [fraud, burglary, traffic]:
    // fraud 2+2+3 = 7 → 2.33, vehicle theft 3+3 = 6 → 2.00, burglary 1+1+2 = 4 → 1.33.
    // Spring: [fraud, burglary, traffic] ×2 and [vt, fraud, burglary]: fraud 8 → 2.67, vt 3 → 1.00, burglary 5 → 1.67.
    expect(html).toMatch(/autumn\/results">Test City Police<\/a><\/th><td class="num">3<\/td>\s*<td><ol><li>Telecom fraud \(2\.33\)<\/li><li>Vehicle theft \(2\.00\)<\/li><li>Burglary \(1\.33\)<\/li>/);
    expect(html).toContain('<li>Telecom fraud: -0.33</li><li>Vehicle theft: +1.00</li><li>Burglary: -0.33</li>');
    expect(html).toContain('first wave');
    expect(html).not.toContain('hidden/results');
    // The grouped table: one column per bureau.
    expect((html.match(/<th scope="col" class="num">Test City Police<\/th>/g) ?? []).length).toBe(2);
  });

  it('says what its points are once, and sorts the concerns by them as it says', async () => {
    await createStaff(t.container, 'planner3@test.cn', [{ role: 'planner', region: 'Zhejiang' }]);
    const planner = await signedInAgent(t.app, 'planner3@test.cn');
    const en = (await planner.get('/staff/compare/top-public-security-concerns?lang=en').expect(200)).text;
    expect(en).not.toContain('Points: Points:');
    expect(en).toContain('sorted by points');
    const zh = (await planner.get('/staff/compare/top-public-security-concerns?lang=zh-CN').expect(200)).text;
    expect(zh).not.toContain('得分：得分：');
    // Latest waves pooled (5 respondents): fraud 7 + 6 = 13, burglary 4 + 4 = 8, vehicle theft 6 + 0 = 6,
    // traffic 1 + 2 = 3 points; the survey lists vehicle theft, burglary, fraud, traffic.
    const grouped = en.slice(en.indexOf('data-chart="grouped"'));
    const body = grouped.slice(grouped.indexOf('<tbody>'), grouped.indexOf('</tbody>'));
    const order = [...body.matchAll(/<tr><th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(order).toEqual(['Telecom fraud', 'Burglary', 'Vehicle theft', 'Traffic safety']);
    // The table gives each bureau's n: 3 respondents in bureau A's latest wave, 2 in bureau B's.
    expect(grouped).toMatch(/<tfoot><tr><th scope="row">Respondents \(n\)<\/th><td class="num">3<\/td><td class="num">2<\/td><\/tr><\/tfoot>/);
  });

  it("is linked from a planner's home page even when the planner reads only one bureau running the survey", async () => {
    const bureauB = (await t.container.models.Bureau.findOne({ slug: 'bureau-b' }).lean())!;
    await createStaff(t.container, 'planner-b@test.cn', [{ role: 'planner', bureau: bureauB._id }]);
    const planner = await signedInAgent(t.app, 'planner-b@test.cn');
    const home = await planner.get('/staff?lang=en').expect(200);
    expect(home.text).toContain('href="/staff/compare/top-public-security-concerns"');
    await planner.get('/staff/compare/top-public-security-concerns').expect(200);
  });

  it('is a 404 for an unknown template', async () => {
    await createStaff(t.container, 'planner2@test.cn', [{ role: 'planner', region: 'Zhejiang' }]);
    const planner = await signedInAgent(t.app, 'planner2@test.cn');
    await planner.get('/staff/compare/no-such-template').expect(404);
  });
});
