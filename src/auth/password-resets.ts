import { ValidationError } from "../core/errors.ts";
import { randomToken, sha256Hex } from "../core/tokens.ts";
import type { Shard } from "../tenancy/shard.ts";
import { replacePassword } from "./replace-password.ts";

/** How long a reset link works. */
export const RESET_MINUTES = 60;

/** Longer than any token we make: anything longer is not looked up at all. */
const MAX_TOKEN_LENGTH = 100;

export interface ResetRequest {
  token: string;
  user: { id: number; name: string; email: string };
}

/**
 * Makes a reset link for the user with `email`, or undefined when there is none (the caller
 * answers the same either way). The token is returned once, for the mail; only its hash is kept.
 */
export function requestPasswordReset(shard: Shard, email: string, now: number): ResetRequest | undefined {
  const user = shard.statement("SELECT id, name, email FROM users WHERE email = ?").get(email) as
    | ResetRequest["user"]
    | null;
  if (!user) return undefined;
  const token = randomToken(32);
  shard.transaction(() => {
    // Dead links of this user go while we write anyway; live ones stay until used or expired.
    shard
      .statement("DELETE FROM password_resets WHERE user_id = ? AND (used_at IS NOT NULL OR expires_at <= ?)")
      .run(user.id, now);
    shard
      .statement(
        "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
      )
      .run(user.id, sha256Hex(token), now, now + RESET_MINUTES * 60_000);
  });
  return { token, user };
}

/** What a reset link is: usable (with its user), or why not. */
export type ResetLink =
  | { state: "open"; id: number; userId: number; email: string }
  | { state: "used" | "expired" | "unknown" };

/** The reset link behind `token`, looked up by its hash. */
export function resetLink(shard: Shard, token: string, now: number): ResetLink {
  if (!token || token.length > MAX_TOKEN_LENGTH) return { state: "unknown" };
  const row = shard
    .statement(
      `SELECT r.id, r.user_id AS userId, r.expires_at AS expiresAt, r.used_at AS usedAt, u.email
       FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?`,
    )
    .get(sha256Hex(token)) as {
    id: number;
    userId: number;
    expiresAt: number;
    usedAt: number | null;
    email: string;
  } | null;
  if (!row) return { state: "unknown" };
  if (row.usedAt !== null) return { state: "used" };
  if (row.expiresAt <= now) return { state: "expired" };
  return { state: "open", id: row.id, userId: row.userId, email: row.email };
}

/**
 * Uses the link: the password is replaced and every session of the user ended (replacePassword),
 * in one transaction that claims the link first, so two submissions cannot both use it.
 */
export function completePasswordReset(
  shard: Shard,
  linkId: number,
  passwordHash: string,
  now: number,
): number {
  return shard.transaction(() => {
    const claimed = shard
      .statement(
        "UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id AS userId",
      )
      .get(now, linkId, now) as { userId: number } | null;
    if (!claimed)
      throw new ValidationError([{ field: "token", message: "this link was already used or has expired" }]);
    replacePassword(shard, claimed.userId, passwordHash, now);
    return claimed.userId;
  });
}
