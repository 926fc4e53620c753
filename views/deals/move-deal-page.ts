import type { Stage } from "../../src/pipelines/schema.ts";
import type { FormState } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { moveDealForm } from "./move-deal-form.ts";

export interface MoveDealPageProps {
  ctx: PageContext;
  deal: { id: number; title: string; stageId: number; pipelineId: number };
  stages: Stage[];
  base: string;
  /** The reason as typed and its error, after a move to Lost without one or with a refused one. */
  form?: FormState;
}

/**
 * A board card's "Move to…" without JavaScript: the deal's other stages, and back to the board.
 * Also where a move to Lost without a reason, or with one that is refused, lands (from any
 * form), with the reason asked again.
 */
export function moveDealPage(p: MoveDealPageProps): Html {
  const board = `${p.base}/deals/board?pipelineId=${p.deal.pipelineId}`;
  return page(p.ctx, {
    title: `Move ${p.deal.title}`,
    nav: "deals",
    body: html`<section class="confirm"><h1>Move “${p.deal.title}” to</h1>
${p.form?.errors.lostReason ? html`<p class="flash error" role="alert">${p.form.values.lostReason ? "Correct why the deal was lost" : "Say why the deal was lost"}, then choose the Lost stage again.</p>` : ""}
${moveDealForm({ action: `${p.base}/deals/${p.deal.id}/stage`, csrfToken: p.ctx.csrfToken, stages: p.stages, currentStageId: p.deal.stageId, form: p.form })}
<p><a href="${board}">Back to the board</a></p></section>`,
  });
}
