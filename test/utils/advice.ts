/** Helpers for advice tests: a bureau with an advice box, and a resident who sends advice through the form. */
import type { Container } from '../../server/container.js';
import type { Bureau } from '../../server/models/bureau.model.js';
import { createTestBureau, encodeForm, type Agent } from './resident.js';

export const TEST_CATEGORIES: Bureau['adviceCategories'] = [
  { id: 'traffic', name: { 'zh-CN': '交通', en: 'Traffic' } },
  { id: 'theft', name: { 'zh-CN': '盗窃', en: 'Theft' } },
  { id: 'service', name: { 'zh-CN': '窗口服务', en: 'Counter service' } },
];

/** The test bureau (Asia/Shanghai) with three advice categories and a 5-working-day deadline. */
export async function createAdviceBureau(container: Container, slug = 'test-bureau', timezone = 'Asia/Shanghai'): Promise<Bureau> {
  const bureau = await createTestBureau(container, slug);
  await container.models.Bureau.updateOne({ _id: bureau._id }, { $set: { adviceCategories: TEST_CATEGORIES, replyWorkingDays: 5, timezone } });
  container.directory.invalidate();
  return (await container.models.Bureau.findById(bureau._id).lean<Bureau>())!;
}

export function adviceTokenIn(html: string): string {
  const token = /name="_form" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no form token on the advice page:\n${html.slice(0, 500)}`);
  return token;
}

export async function openAdviceForm(agent: Agent, slug = 'test-bureau'): Promise<string> {
  const res = await agent.get(`/b/${slug}/advice`);
  if (res.status !== 200) throw new Error(`advice form: ${res.status}`);
  return adviceTokenIn(res.text);
}

export const validAdvice = (overrides: Record<string, string | undefined> = {}) =>
  Object.fromEntries(Object.entries({ category: 'traffic', district: 'wuxing', text: '学校门口早上堵车严重，希望增派交警。', publish: 'yes', ...overrides }).filter((e): e is [string, string] => e[1] !== undefined));

/** Posts the advice form (opening it first unless a token is given); returns the response. */
export async function sendAdvice(agent: Agent, fields: Record<string, string>, options: { token?: string; slug?: string } = {}) {
  const token = options.token ?? (await openAdviceForm(agent, options.slug));
  return agent.post(`/b/${options.slug ?? 'test-bureau'}/advice`).type('form').send(encodeForm({ _form: token, ...fields }));
}

/** The tracking code from a successful post's redirect. */
export function codeFrom(res: { status: number; headers: Record<string, string>; text: string }): string {
  const match = /\/advice\/sent\/([0-9A-Z-]+)/.exec(res.headers.location ?? '');
  if (res.status !== 303 || !match) throw new Error(`advice not accepted (${res.status}):\n${res.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 600)}`);
  return match[1]!;
}
