import { Hono } from "hono";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { problemResponse } from "../http/problem.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { BatchRefusedError, batchRequest, writeBatch } from "./batch-write.ts";
import type { ExternalIdTable } from "./external-id.ts";
import { recordsJson } from "./record-json.ts";
import type { KindPatch, KindRecord, RecordKind } from "./record-kind.ts";

/**
 * POST /api/v1/t/:tenant/<kind>/batch: create, update or upsert up to 100 records of one kind
 * in one transaction (batch-write.ts). 200 `{results, data}` (each item's status, id and action,
 * and its record as the list shows it); 422 problem+json with `results` for every item (the
 * refused ones with their errors, the others 424) when any item is refused: nothing is written.
 */
export function recordBatchRoutes<R extends KindRecord, C, U extends KindPatch>(
  kind: RecordKind<R, object, C, U>,
) {
  const app = new Hono<ViewerEnv>();
  const request = batchRequest(kind.path as ExternalIdTable);
  app.post("/batch", async (c) => {
    const batch = parseOrThrow(request, await readJsonObject(c));
    try {
      return answerOnce(c, 200, () => {
        const { shard } = c.var;
        const { results, records } = writeBatch(shard, actorOf(c.var.viewer), kind, batch, Date.now());
        return { json: { results, data: recordsJson(shard, kind, records) } };
      });
    } catch (error) {
      if (!(error instanceof BatchRefusedError)) throw error;
      return problemResponse({
        status: 422,
        title: error.title,
        detail: `${error.issues.length} of the ${batch.items.length} ${kind.path} were refused; nothing was written`,
        errors: error.issues,
        extensions: { results: error.results },
      });
    }
  });
  return app;
}
