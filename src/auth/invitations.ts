import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { randomToken, sha256Hex } from "../core/tokens.ts";
import { emailAddress, parseOrThrow } from "../core/validation.ts";
import { grantableRoles, type Role, requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { insertUser } from "./insert-user.ts";
import { requireGrantable, roleField } from "./role-grants.ts";
import { type Invitation, invitations, type User, users } from "./schema.ts";

export const INVITATION_DAYS = 7;

export const invitationInput = z.object({ email: emailAddress, role: roleField });

/**
 * Invites someone (admins and owners, for a role they could grant) and returns the token, which
 * only the inviter ever sees (in the link they pass on). `raw`: see invitationInput.
 */
export function createInvitation(
  shard: Shard,
  actor: Actor,
  raw: unknown,
  now = Date.now(),
): { token: string; invitation: Invitation } {
  requireRole(actor.role, "admin");
  const input = parseOrThrow(invitationInput, raw);
  requireGrantable(actor.role, input.role);
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
        invitedBy: actor.type === "user" ? actor.id : null,
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

/** Withdraws an open invitation (admins and owners, and only invitations for a role they could grant). */
export function revokeInvitation(shard: Shard, actor: Actor, id: number): void {
  requireRole(actor.role, "admin");
  shard.transaction(() => {
    const invitation = shard
      .statement("SELECT role FROM invitations WHERE id = ? AND accepted_at IS NULL")
      .get(id) as {
      role: Role;
    } | null;
    if (!invitation) throw new NotFoundError("invitation");
    requireGrantable(actor.role, invitation.role, "you cannot withdraw an invitation with that role");
    shard.statement("DELETE FROM invitations WHERE id = ?").run(id);
  });
}

/**
 * Withdraws the open invitations `userId` made for a role that `role` can no longer grant (all
 * of them for null: a removed user), so nobody, the inviter included, comes back through an
 * invitation its maker could not make now. Called in the transaction that changes the user.
 */
export function withdrawInvitationsBy(shard: Shard, userId: number, role: Role | null): void {
  const keep = role === null ? [] : grantableRoles(role);
  shard
    .statement(
      `DELETE FROM invitations WHERE invited_by = ? AND accepted_at IS NULL
       AND role NOT IN (SELECT value FROM json_each(?))`,
    )
    .run(userId, JSON.stringify(keep));
}

/**
 * Whether the invitation's maker is still a user who may grant its role. Checked again when it
 * is opened and accepted, whatever happened since: an inviter removed before withdrawals existed
 * left `invited_by` empty, and such an invitation is void.
 */
function inviterMayGrant(shard: Shard, invitation: Invitation): boolean {
  if (invitation.invitedBy === null) return false;
  const inviter = shard.statement("SELECT role FROM users WHERE id = ?").get(invitation.invitedBy) as {
    role: Role;
  } | null;
  return inviter !== null && grantableRoles(inviter.role).includes(invitation.role);
}

/** The open invitation behind a token, or undefined if it is unknown, used, expired or void (see inviterMayGrant). */
export function openInvitation(shard: Shard, token: string, now = Date.now()): Invitation | undefined {
  const invitation = shard.db
    .select()
    .from(invitations)
    .where(eq(invitations.tokenHash, sha256Hex(token)))
    .get();
  if (!invitation || invitation.acceptedAt !== null || invitation.expiresAt <= now) return undefined;
  if (!inviterMayGrant(shard, invitation)) return undefined;
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
    // The inviter may have been removed or demoted while the invitee chose a password.
    if (!inviterMayGrant(shard, invitation)) throw new NotFoundError("invitation (it was withdrawn)");
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
