/** Per-bureau read-only API tokens: made by a manager, shown once, stored as a hash, revocable. */
import { createHash, randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { ApiToken } from '../../models/api-token.model.js';
import type { Models } from '../../models/index.js';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export class ApiTokens {
  constructor(private readonly models: Models) {}

  async create(bureau: Types.ObjectId, name: string, createdBy: string): Promise<{ token: string; id: string }> {
    const token = `minyi_${randomBytes(24).toString('base64url')}`;
    const id = hash(token);
    await this.models.ApiToken.create({ _id: id, bureau, name: name.slice(0, 100), createdBy, createdAt: new Date() });
    return { token, id };
  }

  /** The bureau a token reads, or null for an unknown or revoked token. */
  async authenticate(token: string): Promise<Types.ObjectId | null> {
    if (!/^minyi_[A-Za-z0-9_-]{32}$/.test(token)) return null;
    const stored = await this.models.ApiToken.findById(hash(token)).lean<ApiToken>();
    if (!stored || stored.revoked) return null;
    // Last use to the hour: enough to spot an unused token, without a write per request.
    const hourAgo = Date.now() - 3600_000;
    if (!stored.lastUsedAt || stored.lastUsedAt.getTime() < hourAgo) await this.models.ApiToken.updateOne({ _id: stored._id }, { $set: { lastUsedAt: new Date() } });
    return stored.bureau;
  }

  list(bureau: Types.ObjectId): Promise<ApiToken[]> {
    return this.models.ApiToken.find({ bureau }).sort({ createdAt: -1 }).lean<ApiToken[]>();
  }

  async revoke(bureau: Types.ObjectId, id: string): Promise<boolean> {
    const result = await this.models.ApiToken.updateOne({ _id: String(id), bureau }, { $set: { revoked: true } });
    return result.matchedCount === 1;
  }
}
