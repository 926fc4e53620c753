import { type Context, Hono } from "hono";
import { pipelinesPage } from "../../views/settings/pipelines-page.ts";
import { formNumbers } from "../core/form-numbers.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { inPoolWhenLarge } from "../http/in-pool-when-large.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";
import { hasRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import { changeStage, type StageChange, stageChangeReach } from "../pipelines/change-stage.ts";
import {
  addStage,
  createPipeline,
  deletePipeline,
  deleteStage,
  renamePipeline,
} from "../pipelines/manage-pipelines.ts";
import { dealCountsByStage, listPipelines } from "../pipelines/pipelines.ts";

type C = Context<ViewerEnv>;

/**
 * Settings → Pipelines (viewing for everyone; changes for owners and admins, checked by the
 * services the API uses too). Mounted at /settings.
 */

/** The stage form's number fields (the stage schemas take JSON numbers only). */
const STAGE_NUMBERS = ["probability", "position"] as const;

export function pipelineSettingsRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();

  const render = (c: C, problem?: string) =>
    c.html(
      pipelinesPage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        pipelines: listPipelines(c.var.shard),
        dealCounts: dealCountsByStage(c.var.shard),
        canEdit: hasRole(c.var.viewer.role, "admin"),
        problem,
      }).value,
      problem ? 422 : 200,
    );

  /** Runs a change; a broken rule is shown on the page (422), success goes back to it (303). */
  const change = async (c: C, action: (fields: Record<string, string>) => unknown) => {
    const fields = await formFields(c);
    const done = await writeFromForm(fields, () => action(fields));
    if (!done.ok) return render(c, done.problems.join("; "));
    return c.redirect(`/t/${c.var.tenant.slug}/settings/pipelines`, 303);
  };
  const actor = (c: C) => actorOf(c.var.viewer);

  app.get("/pipelines", (c) => render(c));
  // A new pipeline from the form takes only its name (and the default stages).
  app.post("/pipelines", adminOnly, (c) =>
    change(c, (f) => createPipeline(c.var.shard, actor(c), { name: f.name })),
  );
  app.post("/pipelines/:id", adminOnly, (c) =>
    change(c, (f) => renamePipeline(c.var.shard, actor(c), idParam(c), f)),
  );
  app.post("/pipelines/:id/delete", adminOnly, (c) =>
    change(c, () => deletePipeline(c.var.shard, actor(c), idParam(c))),
  );
  app.post("/pipelines/:id/stages", adminOnly, (c) =>
    change(c, (f) => addStage(c.var.shard, actor(c), idParam(c), formNumbers(f, STAGE_NUMBERS))),
  );
  // A kind change rewrites every deal in the stage: a large one runs in a worker.
  app.post("/stages/:id", adminOnly, (c) =>
    change(c, (f) => {
      const id = idParam(c);
      const stageChange: StageChange = { actor: actor(c), id, body: formNumbers(f, STAGE_NUMBERS) };
      return inPoolWhenLarge(
        deps,
        c,
        stageChangeReach(c.var.shard, id, stageChange.body),
        "pipelines.change-stage",
        stageChange,
        () => changeStage(c.var.shard, stageChange),
      );
    }),
  );
  app.post("/stages/:id/delete", adminOnly, (c) =>
    change(c, () => deleteStage(c.var.shard, actor(c), idParam(c))),
  );
  return app;
}
