/** Helpers for tests that act as bureau staff: accounts with roles, and a signed-in agent. */
import type { Express } from 'express';
import request from 'supertest';
import type { Container } from '../../server/container.js';
import type { RoleGrant } from '../../server/models/user.model.js';

export type StaffAgent = ReturnType<typeof request.agent> & { csrf: () => Promise<string> };

export const STAFF_PASSWORD = 'correct horse battery staple';

export async function createStaff(container: Container, email: string, roles: RoleGrant[]): Promise<void> {
  await container.accounts.create({ email, name: email.split('@')[0]!, password: STAFF_PASSWORD, roles });
}

/** The CSRF token of the agent's session, read from any staff page. */
export async function csrfOf(agent: ReturnType<typeof request.agent>, page = '/staff/login'): Promise<string> {
  const res = await agent.get(page);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
  if (!token) throw new Error(`no CSRF token on ${page} (status ${res.status})`);
  return token;
}

export async function signedInAgent(app: Express, email: string, password = STAFF_PASSWORD): Promise<StaffAgent> {
  const agent = request.agent(app) as StaffAgent;
  const csrf = await csrfOf(agent);
  const res = await agent.post('/staff/login').type('form').send({ _csrf: csrf, email, password });
  if (res.status !== 303) throw new Error(`sign-in as ${email} failed: ${res.status}`);
  agent.csrf = () => csrfOf(agent, '/staff');
  return agent;
}
