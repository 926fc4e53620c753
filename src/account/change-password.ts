import { z } from "zod";
import { passwordField } from "../auth/new-tenant-input.ts";
import { PASSWORD_MAX_LENGTH, type PasswordHasher } from "../auth/password-hasher.ts";
import { replacePassword } from "../auth/replace-password.ts";
import { ValidationError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { Shard } from "../tenancy/shard.ts";

const passwordInput = z.object({
  currentPassword: z.string().min(1, "is required").max(PASSWORD_MAX_LENGTH),
  newPassword: passwordField,
});

/**
 * Changes the signed-in user's password: the current one must be right (a session left open on
 * a shared computer is not enough), then every session of theirs ends (replacePassword) and the
 * caller starts a fresh one for this browser.
 */
export async function changePassword(
  shard: Shard,
  hasher: PasswordHasher,
  userId: number,
  raw: unknown,
  now: () => number,
): Promise<void> {
  const input = parseOrThrow(passwordInput, raw);
  const row = shard.statement("SELECT password_hash AS hash FROM users WHERE id = ?").get(userId) as {
    hash: string;
  } | null;
  if (!row || !(await hasher.verify(input.currentPassword, row.hash)))
    throw new ValidationError([{ field: "currentPassword", message: "is not your current password" }]);
  if (input.newPassword === input.currentPassword)
    throw new ValidationError([{ field: "newPassword", message: "must differ from the current password" }]);
  const hash = await hasher.hash(input.newPassword);
  shard.transaction(() => replacePassword(shard, userId, hash, now()));
}
