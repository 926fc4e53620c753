import { Hono } from "hono";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { parseAll } from "../http/form-write.ts";
import { readJsonObject } from "../http/read-json.ts";
import { bulkActionInput, bulkTargetInput } from "./bulk-input.ts";
import { BULK_KINDS } from "./bulk-kinds.ts";
import { bulkInPool } from "./routes.ts";

/**
 * POST /api/v1/t/:tenant/{contacts,companies,deals}/bulk: one action on a selection (`ids`)
 * or on everything a list filter matches (`filter`), all or nothing, in a worker while the
 * request waits. Answers {matched, changed}.
 */
export function bulkApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  // One concrete route per kind, not `/:kind/bulk`: the API's 405 rule reads the routes, and
  // `/widgets/bulk` must stay a 404, not a 405 for a path that only a pattern has.
  for (const kind of Object.values(BULK_KINDS))
    app.post(`/${kind.path}/bulk`, async (c) => {
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
