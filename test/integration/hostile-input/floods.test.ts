/**
 * Cheap floods and small holes: refused posts that would inflate the integrity counter, and paths that would
 * make the language links point at another host. (Sign-in floods: staff/sign-in-attacks.test.ts; replays of
 * used codes: web/invitation-anonymity.test.ts; heavy staff requests: staff/exports.test.ts.)
 */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, encodeForm, expectStatus, newAgent, openForm, validFields } from '../../utils/resident.js';

let t: TestApp;
let survey: Survey;
let path: string;

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0', MINYI_TRUST_PROXY: 'true' });
});
beforeEach(async () => {
  await t.reset();
  ({ survey, path } = await createBureauWithSurvey(t.container));
});
afterAll(async () => {
  await t?.container.tallyWriter.drain();
  await t?.close();
});

describe('refused posts', () => {
  it('count once per address group and window, however many are sent', async () => {
    const agent = newAgent(t.app);
    const token = await openForm(agent, path);
    const send = (ip: string, fields: Record<string, string>) => agent.post(path).set('X-Forwarded-For', ip).type('form').send(encodeForm({ _form: token, ...validFields(), ...fields }));
    // A filled honeypot, from one address, sixty times over; then a forged token from two more addresses.
    for (let round = 0; round < 6; round += 1) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => send('198.51.100.1', { website: 'spam' })));
      for (const res of answers) expect(res.status).toBe(400);
    }
    for (const ip of ['198.51.100.2', '2001:db8:1::1', '2001:db8:1::2']) {
      const res = await agent.post(path).set('X-Forwarded-For', ip).type('form').send(encodeForm({ _form: 'forged.token', ...validFields() }));
      expect(res.status).toBe(400);
    }
    await t.container.tallyWriter.drain();
    // 198.51.100.1, 198.51.100.2, and one IPv6 /56 for both 2001:db8:1::*.
    expect((await t.container.tallies.get(survey._id))?.integrity.refused).toBe(3);
  });
});

describe('language links', () => {
  it('never point at another host, whatever the path looks like', async () => {
    for (const hostile of ['/.//evil.example', '//evil.example', '/.%2F%2Fevil.example', '/./\\evil.example', '/b/..//evil.example/x']) {
      const res = await request(t.app).get(hostile).redirects(0);
      const hrefs = [...res.text.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '='));
      for (const href of hrefs) {
        expect(href, `${hostile} → ${href}`).not.toMatch(/^(?:[a-z]+:)?[/\\]{2}/i);
        expect(href, `${hostile} → ${href}`).not.toMatch(/^\/[/\\]/);
      }
      if (res.status === 404) expect(hrefs.some((h) => h.includes('lang='))).toBe(true);
      expect(res.headers.location ?? '').not.toMatch(/^(?:[a-z]+:)?[/\\]{2}/i);
    }
  });
});

describe('a valid vote still counts after a flood of refusals from its address', () => {
  it('is accepted', async () => {
    const agent = newAgent(t.app);
    const token = await openForm(agent, path);
    expectStatus(await agent.post(path).set('X-Forwarded-For', '198.51.100.9').type('form').send(encodeForm({ _form: token, ...validFields(), website: 'x' })), 400);
    const fresh = await openForm(agent, path);
    expectStatus(await agent.post(path).set('X-Forwarded-For', '198.51.100.9').type('form').send(encodeForm({ _form: fresh, ...validFields() })), 303);
  });
});
