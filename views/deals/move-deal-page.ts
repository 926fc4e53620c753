import type { Stage } from "../../src/pipelines/schema.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { moveDealForm } from "./move-deal-form.ts";

export interface MoveDealPageProps {
  ctx: PageContext;
  deal: { id: number; title: string; stageId: number; pipelineId: number };
  stages: Stage[];
  base: string;
}

/** A board card's "Move to…" without JavaScript: the deal's other stages, and back to the board. */
export function moveDealPage(p: MoveDealPageProps): Html {
  const board = `${p.base}/deals/board?pipelineId=${p.deal.pipelineId}`;
  return page(p.ctx, {
    title: `Move ${p.deal.title}`,
    nav: "deals",
    body: html`<section class="confirm"><h1>Move “${p.deal.title}” to</h1>
${moveDealForm({ action: `${p.base}/deals/${p.deal.id}/stage`, csrfToken: p.ctx.csrfToken, stages: p.stages, currentStageId: p.deal.stageId })}
<p><a href="${board}">Back to the board</a></p></section>`,
  });
}
