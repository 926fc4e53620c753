import { eq } from "drizzle-orm";
import { z } from "zod";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { RECORD_PLURALS, RECORD_TYPES } from "../core/record-types.ts";
import { parseOrThrow } from "../core/validation.ts";
import { grantableRoles, hasRole, ROLES, type Role, requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import { logRecordUpdates } from "../record-updates/log-record-updates.ts";
import type { Shard } from "../tenancy/shard.ts";
import { withdrawInvitationsBy } from "./invitations.ts";
import { roleField } from "./role-grants.ts";
import { users } from "./schema.ts";

const roleInput = z.object({ role: roleField });

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

/** Revokes the API keys `userId` created that grant more than `role` (all of them for null: a removed user). */
function revokeKeysAbove(shard: Shard, userId: number, role: Role | null): void {
  const keep = role === null ? [] : ROLES.filter((r) => hasRole(role, r));
  shard
    .statement(
      `UPDATE api_keys SET revoked_at = ? WHERE created_by = ? AND revoked_at IS NULL
       AND role NOT IN (SELECT value FROM json_each(?))`,
    )
    .run(Date.now(), userId, JSON.stringify(keep));
}

/**
 * Changes a user's role (`raw`: `{ role }`). Admins manage members and read-only users; owners
 * manage everyone. The last owner can never be demoted, so a workspace always has someone who
 * can manage it.
 */
export function changeRole(shard: Shard, actor: Actor, userId: number, raw: unknown): void {
  requireRole(actor.role, "admin");
  const { role } = parseOrThrow(roleInput, raw);
  const actorRole = actor.role;
  shard.transaction(() => {
    const user = targetUser(shard, userId);
    if (!mayManage(actorRole, user.role) || !mayManage(actorRole, role)) {
      throw new ValidationError([{ field: "role", message: "you cannot grant or change that role" }]);
    }
    if (user.role === "owner" && role !== "owner" && ownerCount(shard) === 1) {
      throw new ValidationError([{ field: "role", message: "the workspace needs at least one owner" }]);
    }
    shard.db.update(users).set({ role, updatedAt: Date.now() }).where(eq(users.id, userId)).run();
    // Their sessions take the new role on their next request (it is read every time); keys they
    // made with more rights than they now have stop working, and invitations they could not make now are withdrawn.
    revokeKeysAbove(shard, userId, role);
    withdrawInvitationsBy(shard, userId, role);
  });
}

/**
 * The records a removed user owns lose their owner (the foreign keys set it null), and their
 * tasks their assignee: each record is logged as updated (`ownerId: [id, null]`) and touched,
 * each task touched (task edits are followed by updatedSince, not the feed), before the user
 * goes. Set-based, whatever the number of records (scripts/bench/fan-out-writes.ts).
 */
function releaseOwned(shard: Shard, actor: Actor, userId: number, now: number): void {
  for (const type of RECORD_TYPES) {
    logRecordUpdates(
      shard,
      actor,
      {
        type,
        rows: `SELECT id, json_object('changes', json_object('ownerId', json_array(owner_id, NULL))) AS payload
          FROM ${RECORD_PLURALS[type]} WHERE owner_id = ?`,
        params: [userId],
      },
      now,
    );
  }
  shard.statement("UPDATE tasks SET updated_at = max(updated_at, ?) WHERE assignee_id = ?").run(now, userId);
}

/** A user's removal as plain data, so a worker can run it (src/auth/remove-user.worker.ts). */
export interface UserRemoval {
  actor: Actor;
  userId: number;
}

/**
 * How many records and tasks removing a user rewrites (releaseOwned), cheaply: an indexed count
 * per kind of record by owner, and the tasks assigned to them.
 */
export function removalReach(shard: Shard, userId: number): number {
  let reach = (
    shard.statement("SELECT count(*) AS n FROM tasks WHERE assignee_id = ?").get(userId) as { n: number }
  ).n;
  for (const type of RECORD_TYPES) {
    reach += (
      shard.statement(`SELECT count(*) AS n FROM ${RECORD_PLURALS[type]} WHERE owner_id = ?`).get(userId) as {
        n: number;
      }
    ).n;
  }
  return reach;
}

/** Removes a user (admins and owners; their sessions, keys and open invitations go with them; records they own keep no owner). */
export function removeUser(shard: Shard, actor: Actor, userId: number, now = Date.now()): void {
  requireRole(actor.role, "admin");
  const actorRole = actor.role;
  shard.transaction(() => {
    const user = targetUser(shard, userId);
    if (user.id === actor.id)
      throw new ValidationError([{ field: "user", message: "you cannot remove yourself" }]);
    if (!mayManage(actorRole, user.role))
      throw new ValidationError([{ field: "user", message: "you cannot remove that user" }]);
    if (user.role === "owner" && ownerCount(shard) === 1) {
      throw new ValidationError([{ field: "user", message: "the workspace needs at least one owner" }]);
    }
    revokeKeysAbove(shard, userId, null);
    withdrawInvitationsBy(shard, userId, null);
    releaseOwned(shard, actor, userId, now);
    shard.db.delete(users).where(eq(users.id, userId)).run();
  });
}
