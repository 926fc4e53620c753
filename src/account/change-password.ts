import { z } from "zod";
import { passwordField } from "../auth/new-tenant-input.ts";
import { PASSWORD_MAX_LENGTH, type PasswordHasher } from "../auth/password-hasher.ts";
import { replacePassword } from "../auth/replace-password.ts";
import { ValidationError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { Shard } from "../tenancy/shard.ts";

const currentInput = z.object({ currentPassword: z.string().min(1, "is required").max(PASSWORD_MAX_LENGTH) });
const newInput = z.object({ newPassword: passwordField });

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
  // The current password is checked before anything else is looked at: any other issue then
  // means it was right (what the caller's sign-in limiter counts as a success).
  const { currentPassword } = parseOrThrow(currentInput, raw);
  const row = shard.statement("SELECT password_hash AS hash FROM users WHERE id = ?").get(userId) as {
    hash: string;
  } | null;
  if (!row || !(await hasher.verify(currentPassword, row.hash)))
    throw new ValidationError([{ field: "currentPassword", message: "is not your current password" }]);
  const { newPassword } = parseOrThrow(newInput, raw);
  if (newPassword === currentPassword)
    throw new ValidationError([{ field: "newPassword", message: "must differ from the current password" }]);
  const hash = await hasher.hash(newPassword);
  shard.transaction(() => replacePassword(shard, userId, hash, now()));
}
