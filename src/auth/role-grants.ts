import { z } from "zod";
import { ValidationError } from "../core/errors.ts";
import { grantableRoles, ROLES, type Role } from "../identity/roles.ts";

/** A role named in a form or a JSON body. */
export const roleField = z.enum(ROLES, "must be owner, admin, member or read-only");

/** Refuses (422 on `role`) a role `actorRole` may not hand out: never above one's own, and only admins and owners grant. */
export function requireGrantable(actorRole: Role, role: Role, message = "you cannot grant that role"): void {
  if (!grantableRoles(actorRole).includes(role)) throw new ValidationError([{ field: "role", message }]);
}
