import { Hono } from "hono";
import { z } from "zod";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { adminOnly } from "../http/role-guards.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import {
  addStage,
  createPipeline,
  deletePipeline,
  deleteStage,
  renamePipeline,
  updateStage,
} from "./manage-pipelines.ts";
import { getPipeline, listPipelines, pipelineJson } from "./pipelines.ts";

/**
 * /api/v1/t/:tenant/pipelines and …/stages: pipelines and their ordered stages. Changing them
 * needs admin, checked by the services (the settings tab passes the same guard).
 */
export function pipelineApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/pipelines", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    return c.json({ data: listPipelines(c.var.shard).map(pipelineJson), nextCursor: null });
  });
  app.get("/pipelines/:id", (c) => c.json(pipelineJson(getPipeline(c.var.shard, idParam(c)))));
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
    return c.json(pipelineJson(renamePipeline(c.var.shard, actorOf(c.var.viewer), idParam(c), body)));
  });
  app.delete("/pipelines/:id", adminOnly, (c) => {
    deletePipeline(c.var.shard, actorOf(c.var.viewer), idParam(c));
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
    return c.json(pipelineJson(updateStage(c.var.shard, actorOf(c.var.viewer), idParam(c), body)));
  });
  app.delete("/stages/:id", adminOnly, (c) => {
    deleteStage(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.body(null, 204);
  });
  return app;
}
