import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { normalizeCode } from '../../../server/services/voting/invitation-codes.js';
import { dumpDatabase } from '../../utils/database-dump.js';
import { createTestApp, type TestApp } from '../../utils/test-app.js';
import { createBureauWithSurvey, encodeForm, expectStatus, newAgent, openForm, validFields, vote } from '../../utils/resident.js';

let t: TestApp;
let survey: Survey;
let path: string;

beforeAll(async () => {
  t = await createTestApp({ MINYI_MIN_FILL_SECONDS: '0' });
});
beforeEach(async () => {
  await t.reset();
  ({ survey, path } = await createBureauWithSurvey(t.container, { mutate: (d) => { d.settings.votePolicy = 'invitation'; } }));
});
afterAll(async () => t?.close());

const stored = () => t.container.models.Response.countDocuments({ survey: survey._id });

describe('invitation-code surveys', () => {
  it('stores codes only as hashes, in no collection as typed, short enough to type from an SMS', async () => {
    const { codes, batch } = await t.container.codes.generate(survey._id, 20);
    expect(codes).toHaveLength(20);
    expect(new Set(codes).size).toBe(20);
    // 16 Crockford base-32 characters: 80 bits.
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const rows = await t.container.models.InvitationCode.find({ batch }).lean();
    expect(rows.map((r) => r._id).sort()).toEqual(codes.map((c) => t.container.codes.hash(c)).sort());
    expect(rows).toHaveLength(20);
    // A code used for a vote, too: nothing of the vote may keep it either.
    expectStatus(await vote(newAgent(t.app), path, validFields({ code: codes[0] })), 303);
    await t.container.tallyWriter.drain();
    const dump = await dumpDatabase(t);
    expect(dump).toContain(rows[0]!._id);
    for (const code of codes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(normalizeCode(code));
    }
  });

  it('accepts a vote with a valid code (typed loosely), and the form shows the code field prefilled from the link', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    const code = codes[0]!;
    const agent = newAgent(t.app);
    const page = await agent.get(`${path}?lang=en&code=${code}`).expect(200);
    expect(page.text).toContain(`name="code" value="${code}"`);
    const res = await vote(agent, path, validFields({ code: ` ${code.toLowerCase().replace('-', ' ').replace('-', '')} ` }));
    expectStatus(res, 303);
    expect(await stored()).toBe(1);
  });

  it('lets a code be used once: a second vote with it gets 409', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    expectStatus(await vote(newAgent(t.app), path, validFields({ code: codes[0] })), 303);
    const second = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ code: codes[0] })), 409);
    expect(second.text).toContain('That invitation code has already been used');
    expect(await stored()).toBe(1);
  });

  it('stores exactly one response when two hundred submissions race with one code', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    const agents = Array.from({ length: 200 }, () => newAgent(t.app));
    const tokens = await Promise.all(agents.map((agent) => openForm(agent, path)));
    const results = await Promise.all(
      agents.map((agent, i) => agent.post(path).type('form').send(encodeForm({ _form: tokens[i]!, ...validFields({ code: codes[0] }) }))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    expect(await stored()).toBe(1);
    expect(await t.container.models.InvitationCodeUse.countDocuments({ survey: survey._id })).toBe(1);
  });

  it('refuses a missing, unknown, expired or revoked code with a message next to the field', async () => {
    const missing = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields()), 422);
    expect(missing.text).toContain('Enter the invitation code from your message');
    expect(missing.text).toContain('<a href="#code">');
    const unknown = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ code: 'AAAA-BBBB' })), 422);
    expect(unknown.text).toContain('That invitation code is not valid for this survey');
    const { codes } = await t.container.codes.generate(survey._id, 2, { expiresAt: new Date(Date.now() - 1000) });
    const expired = expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ code: codes[0] })), 422);
    expect(expired.text).toContain('That invitation code has expired');
    const fresh = await t.container.codes.generate(survey._id, 1);
    await t.container.models.InvitationCode.updateMany({ batch: fresh.batch }, { $set: { revoked: true } });
    expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ code: fresh.codes[0] })), 422);
    expect(await stored()).toBe(0);
  });

  it('refuses a code of another survey', async () => {
    const other = await createBureauWithSurvey(t.container, { mutate: (d) => { d.slug = 'other'; d.settings.votePolicy = 'invitation'; } });
    const { codes } = await t.container.codes.generate(other.survey._id, 1);
    expectStatus(await vote(newAgent(t.app), path, validFields({ code: codes[0] })), 422);
  });

  it('never links a code to the response it was used for', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    expectStatus(await vote(newAgent(t.app), path, validFields({ code: codes[0] })), 303);
    const response = await t.container.models.Response.findOne({ survey: survey._id }).lean();
    const use = await t.container.models.InvitationCodeUse.findOne().lean();
    expect(Object.keys(use!).sort()).toEqual(['_id', 'batch', 'day', 'hour', 'survey']);
    expect(use!.hour!.getTime() % 3600_000).toBe(0);
    expect(JSON.stringify(response)).not.toContain(use!._id);
    expect(JSON.stringify(response)).not.toContain(codes[0]!);
  });

  it('gives the same receipt to a retried post whose code is already used by it', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    const agent = newAgent(t.app);
    const token = await openForm(agent, path);
    const body = encodeForm({ _form: token, ...validFields({ code: codes[0] }) });
    const first = expectStatus(await agent.post(path).type('form').send(body), 303);
    const retry = expectStatus(await agent.post(path).type('form').send(body), 303);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(await stored()).toBe(1);
  });

  it('does not mark the browser: a household sharing a phone can vote with two codes', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 2);
    const agent = newAgent(t.app);
    expectStatus(await vote(agent, path, validFields({ code: codes[0] })), 303);
    expectStatus(await vote(agent, path, validFields({ code: codes[1] })), 303);
    expect(await stored()).toBe(2);
  });
});
