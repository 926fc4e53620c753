import { Hono } from "hono";
import { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { requireRole } from "../identity/roles.ts";
import { parseListParams } from "../lists/list-params.ts";
import {
  addStage,
  createPipeline,
  deletePipeline,
  deleteStage,
  pipelineInput,
  renamePipeline,
  stageInput,
  stagePatchInput,
  updateStage,
} from "./manage-pipelines.ts";
import { getPipeline, listPipelines, type PipelineWithStages } from "./pipelines.ts";

function pipelineJson(p: PipelineWithStages) {
  return {
    id: p.id,
    name: p.name,
    position: p.position,
    stages: p.stages.map((s) => ({
      id: s.id,
      name: s.name,
      position: s.position,
      probability: s.probability,
      kind: s.kind,
    })),
  };
}

/** /api/v1/t/:tenant/pipelines and …/stages: pipelines and their ordered stages. Changing them needs admin. */
export function pipelineApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/pipelines", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    return c.json({ data: listPipelines(c.var.shard).map(pipelineJson), nextCursor: null });
  });
  app.get("/pipelines/:id", (c) => c.json(pipelineJson(getPipeline(c.var.shard, idParam(c)))));
  app.post("/pipelines", async (c) => {
    requireRole(c.var.viewer.role, "admin");
    const created = createPipeline(c.var.shard, parseOrThrow(pipelineInput, await readJsonObject(c)));
    c.header("Location", `/api/v1/t/${c.var.tenant.slug}/pipelines/${created.id}`);
    return c.json(pipelineJson(created), 201);
  });
  app.patch("/pipelines/:id", async (c) => {
    requireRole(c.var.viewer.role, "admin");
    const { name } = parseOrThrow(pipelineInput.pick({ name: true }), await readJsonObject(c));
    return c.json(pipelineJson(renamePipeline(c.var.shard, idParam(c), name)));
  });
  app.delete("/pipelines/:id", (c) => {
    requireRole(c.var.viewer.role, "admin");
    deletePipeline(c.var.shard, idParam(c));
    return c.body(null, 204);
  });
  app.post("/pipelines/:id/stages", async (c) => {
    requireRole(c.var.viewer.role, "admin");
    const pipeline = addStage(c.var.shard, idParam(c), parseOrThrow(stageInput, await readJsonObject(c)));
    return c.json(pipelineJson(pipeline), 201);
  });
  app.patch("/stages/:id", async (c) => {
    requireRole(c.var.viewer.role, "admin");
    return c.json(
      pipelineJson(
        updateStage(c.var.shard, idParam(c), parseOrThrow(stagePatchInput, await readJsonObject(c))),
      ),
    );
  });
  app.delete("/stages/:id", (c) => {
    requireRole(c.var.viewer.role, "admin");
    deleteStage(c.var.shard, idParam(c));
    return c.body(null, 204);
  });
  return app;
}
