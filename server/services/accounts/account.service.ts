/** Staff accounts: creation with a password policy, sign-in with throttling, role grants. */
import type { Types } from 'mongoose';
import type { DatabaseHealth } from '../../db/database-health.js';
import { userProblem } from '../../db/record-checks.js';
import { ConflictError, RateLimitedError, ValidationError } from '../../errors/index.js';
import type { Models } from '../../models/index.js';
import type { Role, RoleGrant, User } from '../../models/user.model.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { RateLimiter, RateLimitRule } from '../voting/rate-limiter.js';
import type { Principal } from './access.js';
import type { KnownDevices } from './known-devices.js';
import type { PasswordHasher } from './password-hasher.js';
import { PASSWORD_PROBLEM_MESSAGES, type PasswordPolicy } from './password-policy.js';
import { isDuplicateKey } from '../../db/keyed-writes.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/;
export const LOGIN_LIMITS = {
  perAccount: { limit: 5, windowSeconds: 15 * 60 },
  perClient: { limit: 20, windowSeconds: 15 * 60 },
  /** A browser where the account signed in before: its own budget, untouched by anyone else's failures. */
  perDevice: { limit: 5, windowSeconds: 15 * 60 },
};

export interface NewAccount {
  email: string;
  name: string;
  password: string;
  roles: RoleGrant[];
}

/** `deviceCookie`: the known-device cookie to give the browser after a successful sign-in. */
export type SignInResult = { ok: true; user: Principal; deviceCookie: string } | { ok: false };

export function toPrincipal(user: Pick<User, '_id' | 'email' | 'name' | 'roles'>): Principal {
  return { id: String(user._id), email: user.email, name: user.name, roles: user.roles.map((r) => ({ role: r.role, bureau: r.bureau ?? null, region: r.region ?? null })) };
}

export class AccountService {
  constructor(
    private readonly models: Models,
    private readonly deps: { policy: PasswordPolicy; hasher: PasswordHasher; rateLimiter: RateLimiter; devices: KnownDevices; audit: AuditLog; health: DatabaseHealth },
  ) {}

  /** What is wrong with a new account's email, name or password, in words; empty when nothing is. */
  checkNewAccount(account: Pick<NewAccount, 'email' | 'name' | 'password'>): string[] {
    return this.accountProblems(account).map((p) => p.message);
  }

  private accountProblems(account: Pick<NewAccount, 'email' | 'name' | 'password'>) {
    const email = account.email.trim().toLowerCase();
    const problems = [];
    if (!EMAIL.test(email)) problems.push({ pointer: '/email', message: 'Enter a valid email address.', reason: 'email' });
    if (!account.name.trim() || account.name.length > 100) problems.push({ pointer: '/name', message: 'Enter a name of up to 100 characters.', reason: 'name' });
    const passwordProblem = this.deps.policy.check(account.password, { email });
    if (passwordProblem) problems.push({ pointer: '/password', message: PASSWORD_PROBLEM_MESSAGES[passwordProblem], reason: passwordProblem });
    return problems;
  }

  async create(account: NewAccount): Promise<Principal> {
    const email = account.email.trim().toLowerCase();
    const problems = this.accountProblems(account);
    if (problems.length > 0) throw new ValidationError(problems, 'The account could not be created.');
    try {
      const user = await this.models.User.create({ email, name: account.name.trim(), passwordHash: await this.deps.hasher.hash(account.password), roles: account.roles });
      return toPrincipal(user);
    } catch (error) {
      if (isDuplicateKey(error)) throw new ConflictError('An account with this email already exists.', { details: { field: 'email' } });
      throw error;
    }
  }

  /**
   * Checks email and password. Each attempt first takes a slot of its budgets (see RateLimiter): per client
   * address and per account, or, from a browser where this account signed in before, per device instead.
   * Without a free slot it answers 429 before any check; a correct password gives its slots back.
   */
  async signIn(emailInput: string, password: string, context: { clientHash: string; deviceCookie?: unknown }): Promise<SignInResult> {
    const email = emailInput.trim().toLowerCase().slice(0, 254);
    const device = this.deps.devices.verify(context.deviceCookie, email);
    const budgets = device
      ? [{ scope: 'device' as const, key: `login:device:${device}`, rule: LOGIN_LIMITS.perDevice }]
      : [
          { scope: 'client' as const, key: `login:client:${context.clientHash}`, rule: LOGIN_LIMITS.perClient },
          { scope: 'account' as const, key: `login:account:${email}`, rule: LOGIN_LIMITS.perAccount },
        ];
    const slots: string[] = [];
    for (const budget of budgets) {
      const slot = await this.deps.rateLimiter.take(budget.key, budget.rule);
      if (!slot.ok) {
        await this.auditThrottle(budget.scope, budget.key, budget.rule, email, context.clientHash);
        throw new RateLimitedError(slot.retryAfterSeconds, 'Too many failed sign-ins. Please wait 15 minutes and try again.');
      }
      slots.push(slot.slotId);
    }
    const user = await this.deps.health.read(
      'sign-in account',
      () => this.models.User.findOne({ email }).lean<User>(),
      (u) => (u ? userProblem(u, { email, withPassword: true }) : undefined),
    );
    const valid = user && !user.disabled ? await this.deps.hasher.verify(user.passwordHash, password) : (await this.deps.hasher.verifyNothing(password), false);
    if (!valid || !user) return { ok: false };
    await Promise.all(slots.map((slot) => this.deps.rateLimiter.release(slot)));
    await this.models.User.updateOne({ _id: user._id }, { $set: { lastLoginAt: new Date() } });
    return { ok: true, user: toPrincipal(user), deviceCookie: this.deps.devices.issue(context.deviceCookie, email) };
  }

  /**
   * Audits that a budget ran out: once per budget and window (a keyed insert decides which request does it),
   * so an attacker's flood of refused attempts cannot flood the audit log too.
   */
  private async auditThrottle(scope: 'device' | 'client' | 'account', key: string, rule: RateLimitRule, email: string, clientHash: string): Promise<void> {
    if (!(await this.deps.rateLimiter.once(`audited:${key}`, rule))) return;
    await this.deps.audit.record({ actor: null, actorEmail: email || 'unknown', action: 'login.throttled', details: { scope, client: clientHash, windowMinutes: rule.windowSeconds / 60 } });
  }

  async findPrincipal(id: string): Promise<Principal | null> {
    if (!/^[0-9a-f]{24}$/.test(id)) return null;
    const user = await this.deps.health.read(
      'session account',
      () => this.models.User.findById(id, { email: 1, name: 1, roles: 1, disabled: 1 }).lean<User>(),
      (u) => (u ? userProblem(u, { id }) : undefined),
    );
    return user && !user.disabled ? toPrincipal(user) : null;
  }

  async count(): Promise<number> {
    return this.models.User.estimatedDocumentCount();
  }

  async findByEmail(email: string): Promise<User | null> {
    return this.models.User.findOne({ email: email.trim().toLowerCase() }).lean<User>();
  }

  /** Staff of a bureau (managers and analysts, and planners granted it by name), for its manager. */
  async listStaff(bureauId: Types.ObjectId): Promise<User[]> {
    return this.models.User.find({ 'roles.bureau': bureauId }, { passwordHash: 0 }).sort({ email: 1 }).lean<User[]>();
  }

  /** Gives an existing account the role, or creates the account with the first password given. */
  async grantOrCreate(input: { email: string; name: string; password: string }, grant: RoleGrant): Promise<{ user: Principal; created: boolean }> {
    const existing = await this.findByEmail(input.email);
    if (existing) {
      await this.grant(existing._id, grant);
      return { user: toPrincipal(existing), created: false };
    }
    return { user: await this.create({ ...input, roles: [grant] }), created: true };
  }

  async grant(userId: Types.ObjectId, grant: RoleGrant): Promise<void> {
    await this.models.User.updateOne({ _id: userId }, { $addToSet: { roles: grant } });
  }

  /** Removes a user's grants of one role in a bureau (the only kind a manager hands out). */
  async revoke(userId: Types.ObjectId, role: Role, bureauId: Types.ObjectId): Promise<void> {
    const user = await this.models.User.findById(userId).lean<User>();
    if (!user) return;
    const roles = user.roles.filter((r) => !(r.role === role && r.bureau != null && String(r.bureau) === String(bureauId)));
    await this.models.User.updateOne({ _id: userId }, { $set: { roles } });
  }
}
