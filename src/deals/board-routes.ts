import { type Context, Hono } from "hono";
import { boardSection } from "../../views/deals/board.ts";
import { boardPage } from "../../views/deals/board-page.ts";
import { moveDealPage } from "../../views/deals/move-deal-page.ts";
import { trustedHtml } from "../../views/html.ts";
import { ValidationError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import {
  formFields,
  idParam,
  pageContext,
  pageCsrfToken,
  rowContext,
  wantsFragment,
} from "../http/page-context.ts";
import { memberOnly } from "../http/role-guards.ts";
import { actorOf } from "../identity/viewer.ts";
import { renderList } from "../lists/render-cache.ts";
import { getPipeline, getStage } from "../pipelines/pipelines.ts";
import { workspaceMoney } from "../settings/workspace-money.ts";
import { boardPipelines, pipelineBoard } from "./board.ts";
import { parseStageMove } from "./deal-form.ts";
import { getDeal } from "./get-deal.ts";
import { moveDeal } from "./move-deal.ts";

/** A pipeline's board, through the render cache (per pipeline and the viewer's rights). */
function board(c: Context<ViewerEnv>, deps: AppDeps, pipelineId: number): string {
  const shard = c.var.shard;
  const row = rowContext(c);
  const stages = getPipeline(shard, pipelineId).stages;
  return renderList(
    shard,
    deps.config.renderCache,
    "board",
    JSON.stringify([pipelineId, row.canWrite]),
    { nonce: c.var.nonce, csrfToken: pageCsrfToken(c, deps) },
    (secrets) =>
      boardSection(pipelineBoard(shard, pipelineId), {
        ...secrets,
        base: row.base,
        canWrite: row.canWrite,
        stages,
        ...workspaceMoney(shard),
      }).value,
  );
}

/**
 * Deals → Board (drag between stages), and moving a deal: from the board (drag and drop, or
 * "Move to…"), or the deal's page (a stage, Mark won, Mark lost with a reason, Reopen). Mounted
 * inside dealRoutes, behind its sign-in and write checks.
 */
export function boardRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();

  app.get("/board", (c) => {
    const { pipelines, current } = boardPipelines(c.var.shard, Number(c.req.query("pipelineId")));
    const html = board(c, deps, current.id);
    if (wantsFragment(c)) return c.html(html);
    const base = `/t/${c.var.tenant.slug}`;
    const canWrite = rowContext(c).canWrite;
    const ctx = pageContext(c, deps);
    return c.html(boardPage({ ctx, base, pipelines, current, canWrite, board: trustedHtml(html) }).value);
  });

  // "Move to…" without JavaScript: the card's link opens the deal's other stages as a page.
  app.get("/:id/stage", memberOnly, (c) => {
    const deal = getDeal(c.var.shard, idParam(c));
    const stages = getPipeline(c.var.shard, deal.pipelineId).stages;
    const ctx = pageContext(c, deps);
    return c.html(moveDealPage({ ctx, deal, stages, base: `/t/${c.var.tenant.slug}` }).value);
  });

  app.post("/:id/stage", async (c) => {
    const fields = await formFields(c);
    const current = getDeal(c.var.shard, idParam(c));
    /** The move page again with the reason's problem, nothing moved (in place, the htmx error says it). */
    const askReason = (issue: { field: string; message: string }, typed: string) => {
      if (wantsFragment(c)) throw new ValidationError([issue]);
      const stages = getPipeline(c.var.shard, current.pipelineId).stages;
      const form = { values: { lostReason: typed }, errors: { lostReason: issue.message } };
      const ctx = pageContext(c, deps);
      return c.html(
        moveDealPage({ ctx, deal: current, stages, base: `/t/${c.var.tenant.slug}`, form }).value,
        422,
      );
    };
    let move: ReturnType<typeof parseStageMove>;
    try {
      move = parseStageMove(fields);
    } catch (error) {
      const issue =
        error instanceof ValidationError ? error.issues.find((i) => i.field === "lostReason") : undefined;
      if (!issue) throw error;
      return askReason(issue, fields.lostReason ?? "");
    }
    const { stageId, lostReason } = move;
    // A page form moving a deal into Lost says why (the API may leave it out): without a reason,
    // nothing moves; the move page asks for it (or, in place, the htmx error says so).
    if (!lostReason && current.status !== "lost" && getStage(c.var.shard, stageId)?.kind === "lost")
      return askReason({ field: "lostReason", message: "is needed to move a deal to a Lost stage" }, "");
    const deal = moveDeal(c.var.shard, actorOf(c.var.viewer), current.id, stageId, { lostReason });
    if (wantsFragment(c)) return c.html(board(c, deps, deal.pipelineId));
    const deals = `/t/${c.var.tenant.slug}/deals`;
    const back =
      fields._fragment === "board" ? `${deals}/board?pipelineId=${deal.pipelineId}` : `${deals}/${deal.id}`;
    return c.redirect(back, 303);
  });

  return app;
}
