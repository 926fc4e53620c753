import { Hono } from "hono";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { actorOf } from "../identity/viewer.ts";
import { recordsJson } from "../records/record-json.ts";
import type { KindRecord } from "../records/record-kind.ts";
import { MERGE_KINDS, type MergeKind } from "./merge-kinds.ts";

/** POST /<records>/:id/merge for one kind: the record in the URL is looked up first, so an unknown one is a 404 whatever the body says. */
function mergeApi<R extends KindRecord>(app: Hono<ViewerEnv>, { kind, request, merge }: MergeKind<R>): void {
  app.post(`/${kind.path}/:id/merge`, async (c) => {
    const survivorId = kind.get(c.var.shard, idParam(c)).id;
    const body = parseOrThrow(request, await readJsonObject(c));
    const merged = merge(c.var.shard, actorOf(c.var.viewer), { ...body, survivorId });
    return c.json(recordsJson(c.var.shard, kind, [merged])[0]);
  });
}

/**
 * POST /api/v1/t/:tenant/contacts/:id/merge and /companies/:id/merge (every kind in
 * MERGE_KINDS): folds `duplicateId` into the record in the URL and answers with that record.
 */
export function mergeApiRoutes() {
  const app = new Hono<ViewerEnv>();
  mergeApi(app, MERGE_KINDS.contacts);
  mergeApi(app, MERGE_KINDS.companies);
  return app;
}
