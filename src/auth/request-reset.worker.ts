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
 * a locked file as long as it needs; no page waits on it.
 */
const requestReset: TaskHandler<RequestResetParams, RequestResetResult> = (input, context) => {
  const { email, now, mayWrite } = input.params;
  const shard = context.shard("write");
  if (!mayWrite) {
    const user = shard.statement("SELECT id, name, email FROM users WHERE email = ?").get(email) as
      | ResetRequest["user"]
      | null;
    return user ? { found: true, user } : { found: false };
  }
  const made = requestPasswordReset(shard, email, now);
  return made ? { found: true, user: made.user, token: made.token } : { found: false };
};

export default requestReset;
