import { Hono } from "hono";
import { NotFoundError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { parseAll } from "../http/form-write.ts";
import { readJsonObject } from "../http/read-json.ts";
import { bulkActionInput, bulkTargetInput } from "./bulk-input.ts";
import { bulkKind } from "./bulk-kinds.ts";
import { bulkInPool } from "./routes.ts";

/**
 * POST /api/v1/t/:tenant/{contacts,companies,deals}/bulk: one action on a selection (`ids`)
 * or on everything a list filter matches (`filter`), all or nothing, in a worker while the
 * request waits. Answers {matched, changed}.
 */
export function bulkApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.post("/:kind/bulk", async (c) => {
    const kind = bulkKind(c.req.param("kind"));
    if (!kind) throw new NotFoundError("page");
    const body = await readJsonObject(c);
    const { action, ownerId, tag, stageId, ...rest } = body;
    const [target, change] = parseAll(
      () => parseOrThrow(bulkTargetInput, rest),
      () => parseOrThrow(bulkActionInput, { action, ownerId, tag, stageId }),
    );
    return bulkInPool(deps, c, kind, target, change);
  });
  return app;
}
