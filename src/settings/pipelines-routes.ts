import { type Context, Hono } from "hono";
import { pipelinesPage } from "../../views/settings/pipelines-page.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { hasRole, requireRole } from "../identity/roles.ts";
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
} from "../pipelines/manage-pipelines.ts";
import { listPipelines } from "../pipelines/pipelines.ts";

type C = Context<ViewerEnv>;

/** Settings → Pipelines (viewing for everyone, changes for owners and admins). Mounted at /settings. */
export function pipelineSettingsRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();

  const render = (c: C, problem?: string) => {
    const counts = new Map(
      (
        c.var.shard.statement("SELECT stage_id AS id, count(*) AS n FROM deals GROUP BY stage_id").all() as {
          id: number;
          n: number;
        }[]
      ).map((r) => [r.id, r.n]),
    );
    return c.html(
      pipelinesPage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        pipelines: listPipelines(c.var.shard),
        dealCounts: counts,
        canEdit: hasRole(c.var.viewer.role, "admin"),
        problem,
      }).value,
      problem ? 422 : 200,
    );
  };

  /** Runs a change; a broken rule is shown on the page (422), success goes back to it (303). */
  const change = async (c: C, action: (fields: Record<string, string>) => void) => {
    requireRole(c.var.viewer.role, "admin");
    const fields = await formFields(c);
    const done = writeFromForm(fields, () => action(fields));
    if (!done.ok) return render(c, done.problems.join("; "));
    return c.redirect(`/t/${c.var.tenant.slug}/settings/pipelines`, 303);
  };

  app.get("/pipelines", (c) => render(c));
  app.post("/pipelines", (c) =>
    change(c, (f) => createPipeline(c.var.shard, parseOrThrow(pipelineInput.pick({ name: true }), f))),
  );
  app.post("/pipelines/:id", (c) =>
    change(c, (f) =>
      renamePipeline(c.var.shard, idParam(c), parseOrThrow(pipelineInput.pick({ name: true }), f).name),
    ),
  );
  app.post("/pipelines/:id/delete", (c) => change(c, () => deletePipeline(c.var.shard, idParam(c))));
  app.post("/pipelines/:id/stages", (c) =>
    change(c, (f) => addStage(c.var.shard, idParam(c), parseOrThrow(stageInput, f))),
  );
  app.post("/stages/:id", (c) =>
    change(c, (f) => updateStage(c.var.shard, idParam(c), parseOrThrow(stagePatchInput, f))),
  );
  app.post("/stages/:id/delete", (c) => change(c, () => deleteStage(c.var.shard, idParam(c))));
  return app;
}
