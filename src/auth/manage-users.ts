import { eq } from "drizzle-orm";
import { NotFoundError, ValidationError } from "../server/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import { grantableRoles } from "./roles.ts";
import { type Role, users } from "./schema.ts";

function ownerCount(shard: Shard): number {
  return (shard.statement("SELECT count(*) AS n FROM users WHERE role = 'owner'").get() as { n: number }).n;
}

function targetUser(shard: Shard, id: number) {
  const user = shard.db.select().from(users).where(eq(users.id, id)).get();
  if (!user) throw new NotFoundError("user");
  return user;
}

/** Whether someone with `actorRole` may manage a user who has `targetRole`: never anyone above their own grants. */
function mayManage(actorRole: Role, targetRole: Role): boolean {
  return grantableRoles(actorRole).includes(targetRole);
}

/**
 * Changes a user's role. Admins manage members and read-only users; owners manage everyone.
 * The last owner can never be demoted, so a workspace always has someone who can manage it.
 */
export function changeRole(shard: Shard, actorRole: Role, userId: number, role: Role): void {
  shard.transaction(() => {
    const user = targetUser(shard, userId);
    if (!mayManage(actorRole, user.role) || !mayManage(actorRole, role)) {
      throw new ValidationError([{ field: "role", message: "you cannot grant or change that role" }]);
    }
    if (user.role === "owner" && role !== "owner" && ownerCount(shard) === 1) {
      throw new ValidationError([{ field: "role", message: "the workspace needs at least one owner" }]);
    }
    shard.db.update(users).set({ role, updatedAt: Date.now() }).where(eq(users.id, userId)).run();
    // A demoted user's open sessions keep working with the new role: it is read on every request.
  });
}

/** Removes a user (their sessions go with them; records they own keep no owner). */
export function removeUser(shard: Shard, actorRole: Role, actorId: number, userId: number): void {
  shard.transaction(() => {
    const user = targetUser(shard, userId);
    if (user.id === actorId)
      throw new ValidationError([{ field: "user", message: "you cannot remove yourself" }]);
    if (!mayManage(actorRole, user.role))
      throw new ValidationError([{ field: "user", message: "you cannot remove that user" }]);
    if (user.role === "owner" && ownerCount(shard) === 1) {
      throw new ValidationError([{ field: "user", message: "the workspace needs at least one owner" }]);
    }
    shard.db.delete(users).where(eq(users.id, userId)).run();
  });
}
