import { Schema, type Types } from 'mongoose';

export const ROLES = ['admin', 'manager', 'analyst', 'planner'] as const;
export type Role = (typeof ROLES)[number];

/**
 * One grant: admin (whole platform), manager or analyst of one bureau, or planner of one bureau or of every
 * bureau in a region (region = the bureau's region name in English, e.g. "Shandong").
 */
export interface RoleGrant {
  role: Role;
  bureau?: Types.ObjectId | null;
  region?: string | null;
}

export interface User {
  _id: Types.ObjectId;
  /** Lower-cased; unique. */
  email: string;
  name: string;
  /** argon2id hash in PHC format; never leaves the accounts service. */
  passwordHash: string;
  roles: RoleGrant[];
  disabled: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const userSchema = new Schema<User>(
  {
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true, trim: true },
    passwordHash: { type: String, required: true },
    roles: [
      {
        _id: false,
        role: { type: String, enum: ROLES, required: true },
        bureau: { type: Schema.Types.ObjectId, default: null },
        region: { type: String, default: null },
      },
    ],
    disabled: { type: Boolean, required: true, default: false },
    lastLoginAt: { type: Date, default: null },
  },
  { timestamps: true, strict: 'throw' },
);
userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ 'roles.bureau': 1 });
