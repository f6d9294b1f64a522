/** Helpers for tests that act as a resident: open a survey form, fill it in, send it. */
import request from 'supertest';
import type { Express } from 'express';
import type { Types } from 'mongoose';
import type { Bureau } from '../../server/models/bureau.model.js';
import type { Survey } from '../../server/models/survey.model.js';
import type { Container } from '../../server/container.js';
import { everyTypeDefinition, TEST_DISTRICTS } from '../fixtures/survey-definitions.js';

export type Agent = ReturnType<typeof request.agent>;

/** The bureau tests vote in (Asia/Shanghai, the fixture's districts), made once per slug. */
export async function createTestBureau(container: Container, slug = 'test-bureau'): Promise<Bureau> {
  return (
    (await container.models.Bureau.findOne({ slug }).lean<Bureau>()) ??
    (await container.bureaus.create({
      slug,
      name: { 'zh-CN': '测试市公安局', en: 'Test City Police' },
      kind: 'police',
      region: { 'zh-CN': '浙江省', en: 'Zhejiang' },
      city: { 'zh-CN': '测试市', en: 'Test City' },
      districts: TEST_DISTRICTS.map((id) => ({ id, name: { 'zh-CN': `${id}区`, en: `${id} District` } })),
      timezone: 'Asia/Shanghai',
      defaultLocale: 'zh-CN',
    }))
  );
}

export async function createBureauWithSurvey(container: Container, options: { slug?: string; status?: Survey['status']; opensAt?: Date | null; closesAt?: Date | null; mutate?: (d: ReturnType<typeof everyTypeDefinition>) => void } = {}): Promise<{ bureau: Bureau; survey: Survey; path: string }> {
  const bureau = await createTestBureau(container, options.slug);
  const definition = everyTypeDefinition();
  options.mutate?.(definition);
  const survey = await container.surveys.createFromDefinition(bureau._id as Types.ObjectId, container.definitionValidator.validate(definition), {
    status: options.status ?? 'open',
    opensAt: options.opensAt ?? null,
    closesAt: options.closesAt ?? null,
  });
  return { bureau, survey, path: `/b/${bureau.slug}/s/${survey.slug}` };
}

/** The survey form's hidden token on a page: the form, or the form sent back for a correction. */
export function formTokenIn(html: string): string {
  const token = /name="_form" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no form token on the page:\n${html.slice(0, 500)}`);
  return token;
}

/** GETs the form and returns its hidden token; the agent keeps the CSRF cookie. */
export async function openForm(agent: Agent, path: string): Promise<string> {
  return formTokenIn((await agent.get(path).expect(200)).text);
}

/** A complete valid answer set for everyTypeDefinition(), as form fields. */
export function validFields(overrides: Record<string, string | string[] | undefined> = {}): Record<string, string | string[]> {
  const fields: Record<string, string | string[] | undefined> = {
    'concerns.rank.1': 'fraud',
    'concerns.rank.2': 'vehicle-theft',
    'concerns.rank.3': 'traffic',
    district: 'wuxing',
    safety: '4',
    victim: 'no',
    patrols: 'weekly',
    advice: '多巡逻 more patrols',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined));
}

export function encodeForm(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
  return params.toString();
}

export async function vote(agent: Agent, path: string, fields: Record<string, string | string[]>, token?: string) {
  const formToken = token ?? (await openForm(agent, path));
  return agent.post(path).type('form').send(encodeForm({ _form: formToken, ...fields }));
}

export function newAgent(app: Express): Agent {
  return request.agent(app);
}

/** Asserts the status, showing the start of the page when it differs (the usual reason is on it). */
export function expectStatus<T extends { status: number; text: string }>(res: T, status: number): T {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}:\n${res.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 800)}`);
  return res;
}
