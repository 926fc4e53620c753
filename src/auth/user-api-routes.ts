import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../core/errors.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { parseListParams } from "../lists/list-params.ts";
import { listUsers, type UserSummary, userSummary } from "./users.ts";

/** A user as the API shows them: who they are and their role, never credentials or sessions. */
function userJson(u: UserSummary) {
  return { id: u.id, name: u.name, email: u.email, role: u.role };
}

/**
 * /api/v1/t/:tenant/users (read-only): the workspace's users, so owners and assignees can be
 * resolved. A workspace has a handful, so the list is one page (nextCursor null).
 */
export function userApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    return c.json({ data: listUsers(c.var.shard).map(userJson), nextCursor: null });
  });
  app.get("/:id", (c) => {
    const user = userSummary(c.var.shard, idParam(c));
    if (!user) throw new NotFoundError("user");
    return c.json(userJson(user));
  });
  return app;
}
