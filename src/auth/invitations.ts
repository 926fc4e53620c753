import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { randomToken, sha256Hex } from "../core/tokens.ts";
import { grantableRoles, type Role } from "../identity/roles.ts";
import type { Shard } from "../tenancy/shard.ts";
import { insertUser } from "./insert-user.ts";
import { type Invitation, invitations, type User, users } from "./schema.ts";

export const INVITATION_DAYS = 7;

/** Creates an invitation and returns its token, which only the inviter ever sees (in the link they pass on). */
export function createInvitation(
  shard: Shard,
  input: { email: string; role: Role; invitedBy: number },
  now = Date.now(),
): { token: string; invitation: Invitation } {
  const taken = shard.db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get();
  if (taken)
    throw new ValidationError([{ field: "email", message: "already has an account in this workspace" }]);
  const token = randomToken(32);
  const invitation = shard.transaction(() =>
    shard.db
      .insert(invitations)
      .values({
        email: input.email,
        role: input.role,
        invitedBy: input.invitedBy,
        tokenHash: sha256Hex(token),
        createdAt: now,
        expiresAt: now + INVITATION_DAYS * 86_400_000,
      })
      .returning()
      .get(),
  );
  return { token, invitation };
}

/** Invitations not yet accepted and not expired, newest first. */
export function pendingInvitations(shard: Shard, now = Date.now()): Invitation[] {
  return shard.db
    .select()
    .from(invitations)
    .where(and(isNull(invitations.acceptedAt), gt(invitations.expiresAt, now)))
    .orderBy(desc(invitations.id))
    .all();
}

/** Withdraws an open invitation; someone may withdraw only invitations for a role they could grant. */
export function revokeInvitation(shard: Shard, actorRole: Role, id: number): void {
  shard.transaction(() => {
    const invitation = shard
      .statement("SELECT role FROM invitations WHERE id = ? AND accepted_at IS NULL")
      .get(id) as {
      role: Role;
    } | null;
    if (!invitation) throw new NotFoundError("invitation");
    if (!grantableRoles(actorRole).includes(invitation.role)) {
      throw new ValidationError([
        { field: "role", message: "you cannot withdraw an invitation with that role" },
      ]);
    }
    shard.statement("DELETE FROM invitations WHERE id = ?").run(id);
  });
}

/** The open invitation behind a token, or undefined if it is unknown, used or expired. */
export function openInvitation(shard: Shard, token: string, now = Date.now()): Invitation | undefined {
  const invitation = shard.db
    .select()
    .from(invitations)
    .where(eq(invitations.tokenHash, sha256Hex(token)))
    .get();
  if (!invitation || invitation.acceptedAt !== null || invitation.expiresAt <= now) return undefined;
  return invitation;
}

/** Turns an invitation into a user with the invited email and role; the invitation is used up in the same transaction. */
export function acceptInvitation(
  shard: Shard,
  invitation: Invitation,
  input: { name: string; passwordHash: string },
  now = Date.now(),
): User {
  return shard.transaction(() => {
    const claimed = shard
      .statement("UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL")
      .run(now, invitation.id);
    if (claimed.changes === 0)
      throw new ValidationError([{ field: "token", message: "this invitation was already used" }]);
    return insertUser(
      shard.db,
      { email: invitation.email, name: input.name, passwordHash: input.passwordHash, role: invitation.role },
      now,
    );
  });
}
