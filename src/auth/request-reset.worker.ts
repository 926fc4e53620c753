import { randomToken, sha256Hex } from "../core/tokens.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { type ResetRequest, requestPasswordReset } from "./password-resets.ts";

export interface RequestResetParams {
  email: string;
  now: number;
  /** Whether a link may be made: false once the workspace has sent its allowance of reset mails. */
  mayWrite: boolean;
}

/** No account: nothing. An account but no link made (mayWrite false): its user only. */
export type RequestResetResult =
  | { found: false }
  | { found: true; user: ResetRequest["user"]; token?: string };

/**
 * Looks the address up and, for an account, makes its reset link, in a worker: the committed
 * write (a sync to disk) that only a known address costs must not land on the server's thread,
 * where it would slow the asker's next request and tell who has an account. The worker waits on
 * a locked file as long as it needs; no page waits on it. When no link is made, an equal write
 * (a link row made and removed in one committed transaction) is: a commit also changes the
 * file under the server's own connection and takes the disk's time, and neither may differ.
 */
const requestReset: TaskHandler<RequestResetParams, RequestResetResult> = (input, context) => {
  const { email, now, mayWrite } = input.params;
  const shard = context.shard("write");
  if (!mayWrite) {
    const user = shard.statement("SELECT id, name, email FROM users WHERE email = ?").get(email) as
      | ResetRequest["user"]
      | null;
    equalWrite(shard, now);
    return user ? { found: true, user } : { found: false };
  }
  const made = requestPasswordReset(shard, email, now);
  if (made) return { found: true, user: made.user, token: made.token };
  equalWrite(shard, now);
  return { found: false };
};

/** A committed write like a link's, that leaves nothing behind (the first user only lends an id). */
function equalWrite(shard: Shard, now: number): void {
  shard.transaction(() => {
    const made = shard
      .statement(
        `INSERT INTO password_resets (user_id, token_hash, created_at, expires_at)
         SELECT id, ?, ?, ? FROM users ORDER BY id LIMIT 1`,
      )
      .run(sha256Hex(randomToken(32)), now, now);
    shard.statement("DELETE FROM password_resets WHERE id = ?").run(made.lastInsertRowid);
  });
}

export default requestReset;
