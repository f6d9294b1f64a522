/**
 * Invitation-code surveys against a determined attacker: someone holding a copy of the database and the
 * issued codes tries to line up responses with code uses (by `_id`, by natural order, by time), and a flood
 * of replayed used codes tries to make every vote read every response.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Survey } from '../../../server/models/survey.model.js';
import { InvitationCodes } from '../../../server/services/voting/invitation-codes.js';
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
afterAll(async () => {
  await t?.container.tallyWriter.drain();
  await t?.close();
});

const VOTERS = 40;

/** A random order of 0..n-1. */
function randomOrder(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * The attack: pair the k-th response with the k-th code use, in each order a dump offers, and count how many
 * pairs are right. `voterOf` maps a response to the voter who sent it, `codeOf` a code use to the code's voter.
 */
async function alignments(voterOfCode: Map<string, number>): Promise<Record<string, number>> {
  const db = t.container.database.connection.db!;
  const responses = db.collection('responses');
  const uses = db.collection('invitationcodeuses');
  const voterOfResponse = (r: Record<string, unknown>) => Number(/voter (\d+)/.exec(String((r.answers as Record<string, unknown>).advice))![1]);
  const voterOfUse = (u: { _id: unknown }) => voterOfCode.get(String(u._id).replace(/^spent:/, ''))!;
  const responseOrders = {
    natural: (await responses.find({}).toArray()).map(voterOfResponse),
    byId: (await responses.find({}).sort({ _id: 1 }).toArray()).map(voterOfResponse),
    byTime: (await responses.find({}).sort({ submittedAt: 1, _id: 1 }).toArray()).map(voterOfResponse),
  };
  const useOrders = {
    natural: (await uses.find({}).toArray()).map(voterOfUse),
    byId: (await uses.find({}).sort({ _id: 1 }).toArray()).map(voterOfUse),
  };
  const right: Record<string, number> = {};
  for (const [r, responseOrder] of Object.entries(responseOrders)) {
    for (const [u, useOrder] of Object.entries(useOrders)) {
      expect(useOrder).toHaveLength(VOTERS);
      right[`responses ${r} / uses ${u}`] = responseOrder.filter((voter, k) => useOrder[k] === voter).length;
    }
  }
  return right;
}

describe('anonymity of invitation-code surveys in a database dump', () => {
  it('lines responses up with code uses no better than chance once the hour is over', async () => {
    const { codes } = await t.container.codes.generate(survey._id, VOTERS);
    const voterOfCode = new Map(codes.map((code, i) => [t.container.codes.hash(code), i]));
    // The residents vote in an order unrelated to the list of codes, one after another (the easiest case
    // for the attacker: each vote is its own insert).
    for (const i of randomOrder(VOTERS)) expectStatus(await vote(newAgent(t.app), path, validFields({ code: codes[i], advice: `voter ${i}` })), 303);
    await t.container.tallyWriter.drain();

    const responses = await t.container.models.Response.find({ survey: survey._id }).lean();
    for (const response of responses) {
      // No time in the id (a driver ObjectId's first four bytes are its creation second), and the hour only.
      expect(response.submittedAt.getTime() % 3600_000).toBe(0);
    }
    const idSeconds = responses.map((r) => r._id.getTimestamp().getTime() / 1000);
    expect(Math.max(...idSeconds) - Math.min(...idSeconds)).toBeGreaterThan(3600);

    // While the hour lasts, the live uses are in voting order: that is what an operator watching sees.
    const live = await alignments(voterOfCode);
    expect(live['responses natural / uses natural']).toBe(VOTERS);

    // Maintenance after the hour: the uses are compacted into a random order.
    expect(await t.container.codes.compactUses(new Date(Date.now() + 3600_000))).toBe(VOTERS);
    const spent = await t.container.models.InvitationCodeUse.find({}).lean();
    for (const use of spent) expect(Object.keys(use).sort()).toEqual(['_id', 'batch', 'day', 'spent', 'survey']);
    const right = await alignments(voterOfCode);
    // A random pairing gets one right on average; 7 or more happens about once in 10,000 tries.
    for (const [attack, count] of Object.entries(right)) expect(count, attack).toBeLessThanOrEqual(6);

    // The codes still work once: each is refused now, and the batch counts them all as used.
    expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ code: codes[0] })), 409);
    expect((await t.container.codes.batches(survey._id))[0]).toMatchObject({ total: VOTERS, used: VOTERS });
  });

  it('keeps "works once" across compaction: a code given back is usable again, a spent one is not', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 2);
    const day = '2026-01-01';
    const first = await t.container.codes.claim(survey._id, codes[0]!, day);
    const second = await t.container.codes.claim(survey._id, codes[1]!, day);
    expect(first.ok && second.ok).toBe(true);
    await t.container.codes.compactUses(new Date(Date.now() + 3600_000));
    expect(await t.container.codes.claim(survey._id, codes[0]!, day)).toEqual({ ok: false, problem: 'used' });
    // The vote of the second could not be stored: its code is given back, compacted or not.
    await t.container.codes.release(t.container.codes.hash(codes[1]!));
    expect((await t.container.codes.claim(survey._id, codes[1]!, day)).ok).toBe(true);
    expect(await t.container.codes.claim(survey._id, codes[1]!, day)).toEqual({ ok: false, problem: 'used' });
    // A live use given back while compaction runs does not stay spent.
    const third = await t.container.codes.generate(survey._id, 1);
    await t.container.codes.claim(survey._id, third.codes[0]!, day);
    const compaction = t.container.codes.compactUses(new Date(Date.now() + 3600_000));
    await t.container.codes.release(t.container.codes.hash(third.codes[0]!));
    await compaction;
    expect((await t.container.codes.claim(survey._id, third.codes[0]!, day)).ok).toBe(true);
  });

  it('accepts codes typed loosely (any case, spaces, no dashes, O for 0, I and L for 1), and codes of the earlier 8-character kind', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    const code = codes[0]!;
    const sloppy = ` ${code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
    expectStatus(await vote(newAgent(t.app), path, validFields({ code: sloppy })), 303);
    // A code issued before the 80-bit codes, as the database holds it: its keyed hash.
    await t.container.models.InvitationCode.create({ _id: t.container.codes.hash('K7M2Q9XD'), survey: survey._id, batch: 'legacy', expiresAt: null });
    expectStatus(await vote(newAgent(t.app), path, validFields({ code: 'k7m2-q9xd' })), 303);
    expectStatus(await vote(newAgent(t.app), `${path}?lang=en`, validFields({ code: 'K7M2Q9XD' })), 409);
  });
});

describe('replays of used codes', () => {
  type Query = { collection: string; method: string; filter: unknown };
  /** Every command the app sends to the database while `run` runs. */
  async function recordQueries(run: () => Promise<void>): Promise<Query[]> {
    const queries: Query[] = [];
    const connection = t.container.database.connection;
    connection.set('debug', (collection: string, method: string, filter: unknown) => queries.push({ collection, method, filter }));
    try {
      await run();
    } finally {
      connection.set('debug', false);
    }
    return queries;
  }
  const onCodes = (queries: Query[]) => queries.filter((q) => q.collection.startsWith('invitationcode'));
  const onResponses = (queries: Query[]) => queries.filter((q) => q.collection === 'responses');

  async function replay(code: string, count: number) {
    const agents = Array.from({ length: count }, () => newAgent(t.app));
    const tokens = await Promise.all(agents.map((a) => openForm(a, path)));
    return () => Promise.all(agents.map((a, i) => a.post(path).type('form').send(encodeForm({ _form: tokens[i]!, ...validFields({ code } ) }))));
  }

  it('answers 200 replays of a code used here from memory: no database read at all', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    const agent = newAgent(t.app);
    const body = encodeForm({ _form: await openForm(agent, path), ...validFields({ code: codes[0] }) });
    const first = expectStatus(await agent.post(path).type('form').send(body), 303);

    const send = await replay(codes[0]!, 200);
    const queries = await recordQueries(async () => {
      const replays = await send();
      expect(replays.map((r) => r.status).filter((s) => s !== 409)).toEqual([]);
      expect(replays.every((r) => r.text.includes('该邀请码已被使用'))).toBe(true);
      // The same form posted again (a resident's retry) still gets its receipt.
      const retry = expectStatus(await agent.post(path).type('form').send(body), 303);
      expect(retry.headers.location).toBe(first.headers.location);
    });
    expect(onCodes(queries)).toEqual([]);
    expect(onResponses(queries).filter((q) => q.method !== 'insertMany')).toEqual([]);
    expect(await t.container.models.Response.countDocuments({ survey: survey._id })).toBe(1);
  });

  it('answers 200 replays of a code used by another process with one claim and keyed reads, never a query over the responses', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    // Another process (its own memory, the same database) used the code.
    const elsewhere = new InvitationCodes(t.container.models, t.container.config.secret);
    expect((await elsewhere.claim(survey._id, codes[0]!, '2026-01-01')).ok).toBe(true);

    const send = await replay(codes[0]!, 200);
    const queries = await recordQueries(async () => {
      const replays = await send();
      expect(replays.map((r) => r.status).filter((s) => s !== 409)).toEqual([]);
    });
    // The first replay reads the code, its spent use and tries the live-use insert; the rest wait for it and
    // are answered from memory.
    expect(onCodes(queries).length).toBeLessThanOrEqual(3);
    // Whether each form was itself stored (a retry) is one read by `_id`: on FerretDB anything else reads the
    // whole collection.
    expect(onResponses(queries).length).toBe(200);
    for (const query of onResponses(queries)) {
      expect(query.method).toMatch(/^find(One)?$/);
      expect(Object.keys(query.filter as object)).toEqual(['_id']);
    }
    expect(await t.container.models.Response.countDocuments({ survey: survey._id })).toBe(0);
  });

  it('gives a double-clicked form one vote and the same receipt twice', async () => {
    const { codes } = await t.container.codes.generate(survey._id, 1);
    const agent = newAgent(t.app);
    const body = encodeForm({ _form: await openForm(agent, path), ...validFields({ code: codes[0] }) });
    const [one, two] = await Promise.all([agent.post(path).type('form').send(body), agent.post(path).type('form').send(body)]);
    expectStatus(one!, 303);
    expectStatus(two!, 303);
    expect(two!.headers.location).toBe(one!.headers.location);
    expect(await t.container.models.Response.countDocuments({ survey: survey._id })).toBe(1);
  });
});
