import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { ifMatchOf, ifMatchWrite, taggedJson } from "../http/entity-tag.ts";
import { inPoolWhenLarge } from "../http/in-pool-when-large.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { adminOnly } from "../http/role-guards.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import type { Shard } from "../tenancy/shard.ts";
import { changeStage, pipelineOfStage, type StageChange, stageChangeReach } from "./change-stage.ts";
import { addStage, createPipeline, deletePipeline, deleteStage, renamePipeline } from "./manage-pipelines.ts";
import { getPipeline, listPipelines, pipelineJson } from "./pipelines.ts";

/**
 * /api/v1/t/:tenant/pipelines and …/stages: pipelines and their ordered stages. Changing them
 * needs admin, checked by the services (the settings tab passes the same guard).
 */
export function pipelineApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.get("/pipelines", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    return c.json({ data: listPipelines(c.var.shard).map(pipelineJson), nextCursor: null });
  });
  // ETag on GET, If-Match on PATCH and DELETE (src/http/entity-tag.ts). A pipeline's answer
  // holds its stages, so its tag changes with them, and a stage's PATCH or DELETE is checked
  // against its pipeline's tag.
  const current = (shard: Shard, id: number) => () => pipelineJson(getPipeline(shard, id));
  const stagePipeline = (shard: Shard, stageId: number) => () =>
    pipelineJson(getPipeline(shard, pipelineOfStage(shard, stageId)));
  app.get("/pipelines/:id", (c) => taggedJson(c, current(c.var.shard, idParam(c))()));
  app.post("/pipelines", adminOnly, async (c) => {
    const body = await readJsonObject(c);
    return answerOnce(c, 201, () => {
      const created = createPipeline(c.var.shard, actorOf(c.var.viewer), body);
      const location = `/api/v1/t/${c.var.tenant.slug}/pipelines/${created.id}`;
      return { json: pipelineJson(created), location };
    });
  });
  app.patch("/pipelines/:id", adminOnly, async (c) => {
    const body = await readJsonObject(c);
    const id = idParam(c);
    const pipeline = ifMatchWrite(c, current(c.var.shard, id), () =>
      renamePipeline(c.var.shard, actorOf(c.var.viewer), id, body),
    );
    return taggedJson(c, pipelineJson(pipeline));
  });
  app.delete("/pipelines/:id", adminOnly, (c) => {
    const id = idParam(c);
    ifMatchWrite(c, current(c.var.shard, id), () => deletePipeline(c.var.shard, actorOf(c.var.viewer), id));
    return c.body(null, 204);
  });
  app.post("/pipelines/:id/stages", adminOnly, async (c) => {
    const body = await readJsonObject(c);
    return answerOnce(c, 201, () => ({
      json: pipelineJson(addStage(c.var.shard, actorOf(c.var.viewer), idParam(c), body)),
    }));
  });
  app.patch("/stages/:id", adminOnly, async (c) => {
    const body = await readJsonObject(c);
    const id = idParam(c);
    // A kind change rewrites every deal in the stage: a large one runs in a worker.
    const change: StageChange = { actor: actorOf(c.var.viewer), id, body, ifMatch: ifMatchOf(c) };
    const pipeline = await inPoolWhenLarge(
      deps,
      c,
      stageChangeReach(c.var.shard, id, body),
      "pipelines.change-stage",
      change,
      () => changeStage(c.var.shard, change),
    );
    return taggedJson(c, pipelineJson(pipeline));
  });
  app.delete("/stages/:id", adminOnly, (c) => {
    const id = idParam(c);
    ifMatchWrite(c, stagePipeline(c.var.shard, id), () =>
      deleteStage(c.var.shard, actorOf(c.var.viewer), id),
    );
    return c.body(null, 204);
  });
  return app;
}
