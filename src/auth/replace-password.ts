import type { Shard } from "../tenancy/shard.ts";

/**
 * Gives a user a new password hash and signs them out everywhere: every session of theirs is
 * deleted and every open reset link voided, in the caller's transaction. Whoever changed it
 * then starts one fresh session (a new id: the old cookie, wherever it was copied, is dead).
 */
export function replacePassword(shard: Shard, userId: number, passwordHash: string, now: number): void {
  shard
    .statement("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
    .run(passwordHash, now, userId);
  shard.statement("DELETE FROM sessions WHERE user_id = ?").run(userId);
  shard
    .statement("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL")
    .run(now, userId);
}
