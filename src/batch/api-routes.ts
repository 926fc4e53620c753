import { Hono } from "hono";
import { BULK_KINDS } from "../bulk/bulk-kinds.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { problemResponse } from "../http/problem.ts";
import { readJsonText } from "../http/read-json.ts";
import { sendWorkerAnswer, workerKey } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import type { ExternalIdTable } from "../records/external-id.ts";
import { BatchLines } from "./batch-lines.ts";
import type { BatchTaskParams } from "./run.worker.ts";

/**
 * POST /api/v1/t/:tenant/{contacts,companies,deals}/batch: create, update or upsert up to 100
 * records of one kind in one transaction (batch-write.ts), in a worker while the request waits
 * (this thread only reads the body's text; the worker parses it and checks its envelope), in its workspace's line
 * (batch-lines.ts: one task per workspace at a time, the batches that wait meanwhile sent
 * together, one commit for all). 200 `{results, data}`: each item's
 * status, id and action, and its record as the list shows it; 422 problem+json with `results`
 * for every item (the refused ones with their errors, the others 424) when any item is refused:
 * nothing is written.
 */
export function batchApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  const lines = new BatchLines(deps.pool);
  // One concrete route per kind (not `/:kind/batch`), so that the 405 rule never takes
  // `/widgets/batch` for a path the API has.
  for (const kind of Object.values(BULK_KINDS))
    app.post(`/${kind.path}/batch`, async (c) => {
      const path = kind.path as ExternalIdTable;
      // The body goes to the worker as the text it came as: a string crosses the thread for a
      // copy, 100 parsed items cost ~1 ms of this thread to clone (measured), and the worker
      // parses and checks the envelope (the same 400 and 422 answers).
      const body = await readJsonText(c);
      const { tenant } = c.var;
      const params: BatchTaskParams = {
        kind: path,
        body,
        actor: actorOf(c.var.viewer),
        now: deps.now(),
        idempotency: workerKey(c),
      };
      const outcome = await lines.run(
        { tenantId: tenant.id, slug: tenant.slug, file: tenant.file },
        params,
        c.req.raw.signal,
      );
      if ("answer" in outcome) return sendWorkerAnswer(c, outcome.answer);
      return problemResponse({
        status: 422,
        title: "Unprocessable Content",
        detail: `${outcome.refused.filter((r) => r.status !== 424).length} of the ${outcome.refused.length} ${path} were refused; nothing was written`,
        errors: outcome.issues,
        extensions: { results: outcome.refused },
      });
    });
  return app;
}
