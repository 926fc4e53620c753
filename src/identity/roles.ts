import { ForbiddenError } from "../core/errors.ts";

/** The roles a workspace's users and API keys have, from most to least allowed. */
export const ROLES = ["owner", "admin", "member", "read-only"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { "read-only": 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` is at least `minimum` (read-only < member < admin < owner). */
export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

/** Throws 403 unless `role` is at least `minimum`. Called before any write, never after. */
export function requireRole(role: Role, minimum: Role): void {
  if (!hasRole(role, minimum)) {
    throw new ForbiddenError(
      minimum === "member" ? "your role is read-only in this workspace" : `this needs the ${minimum} role`,
    );
  }
}

/** Roles a user of `role` may grant: never above their own, and only admins and owners grant at all. */
export function grantableRoles(role: Role): Role[] {
  if (role === "owner") return ["owner", "admin", "member", "read-only"];
  if (role === "admin") return ["member", "read-only"];
  return [];
}
