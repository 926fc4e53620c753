import type { TaskHandler } from "../workers/task-types.ts";
import { removeUser, type UserRemoval } from "./manage-users.ts";

/**
 * auth.remove-user: removing a user who owns more records than a request may rewrite on the
 * server's thread (src/http/in-pool-when-large.ts), the same function, in one transaction here.
 */
const removeUserTask: TaskHandler<UserRemoval, void> = ({ params }, context) =>
  removeUser(context.shard("write"), params.actor, params.userId);

export default removeUserTask;
