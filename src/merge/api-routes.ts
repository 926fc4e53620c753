import { Hono } from "hono";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { sendWorkerAnswer, workerKey } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import type { KindRecord } from "../records/record-kind.ts";
import { refuseTooManyChoices } from "./merge-input.ts";
import { MERGE_KINDS, type MergeKind } from "./merge-kinds.ts";
import { mergeInPool } from "./merge-pool.ts";

/** POST /<records>/:id/merge for one kind: the record in the URL is looked up first, so an unknown one is a 404 whatever the body says. */
function mergeApi<R extends KindRecord>(
  app: Hono<ViewerEnv>,
  deps: AppDeps,
  { kind, request, json }: MergeKind<R>,
): void {
  app.post(`/${kind.path}/:id/merge`, async (c) => {
    const survivorId = kind.get(c.var.shard, idParam(c)).id;
    const raw = await readJsonObject(c);
    refuseTooManyChoices(raw.keep);
    const body = parseOrThrow(request, raw);
    const { answer } = await mergeInPool(
      deps.pool,
      c.var.tenant,
      actorOf(c.var.viewer),
      c.req.raw.signal,
      kind.path,
      { ...body, survivorId },
      workerKey(c),
    );
    if (answer) return sendWorkerAnswer(c, answer);
    return c.json(json(c.var.shard, kind.get(c.var.shard, survivorId)));
  });
}

/**
 * POST /api/v1/t/:tenant/contacts/:id/merge and /companies/:id/merge (every kind in
 * MERGE_KINDS): folds `duplicateId` into the record in the URL (in a worker, while the request
 * waits) and answers with that record.
 */
export function mergeApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  mergeApi(app, deps, MERGE_KINDS.contacts);
  mergeApi(app, deps, MERGE_KINDS.companies);
  return app;
}
