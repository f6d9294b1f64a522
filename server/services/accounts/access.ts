/** Who may do what: pure functions over a user's role grants, used by every staff route. */
import type { Types } from 'mongoose';
import type { Bureau } from '../../models/bureau.model.js';
import type { RoleGrant } from '../../models/user.model.js';

export interface Principal {
  id: string;
  email: string;
  name: string;
  roles: RoleGrant[];
}

const same = (a: Types.ObjectId | null | undefined, b: Types.ObjectId) => a != null && String(a) === String(b);

export function isAdmin(user: Principal): boolean {
  return user.roles.some((grant) => grant.role === 'admin');
}

/** Managers run their bureau: surveys, staff, codes. Administrators may act for any bureau. */
export function canManage(user: Principal, bureau: Pick<Bureau, '_id'>): boolean {
  return isAdmin(user) || user.roles.some((grant) => grant.role === 'manager' && same(grant.bureau, bureau._id));
}

/** Reading a bureau's surveys and results: its managers and analysts, planners granted it or its region, admins. */
export function canRead(user: Principal, bureau: Pick<Bureau, '_id' | 'region'>): boolean {
  if (canManage(user, bureau)) return true;
  return user.roles.some(
    (grant) =>
      ((grant.role === 'analyst' || grant.role === 'planner') && same(grant.bureau, bureau._id)) ||
      (grant.role === 'planner' && grant.region != null && grant.region === bureau.region.en),
  );
}

/** Staff of the bureau itself (not planners from outside) may see its drafts and staff list. */
export function isBureauStaff(user: Principal, bureau: Pick<Bureau, '_id'>): boolean {
  return isAdmin(user) || user.roles.some((grant) => (grant.role === 'manager' || grant.role === 'analyst') && same(grant.bureau, bureau._id));
}
