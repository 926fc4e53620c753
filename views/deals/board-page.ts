import type { PipelineWithStages } from "../../src/pipelines/pipelines.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface BoardPageProps {
  ctx: PageContext;
  base: string;
  pipelines: PipelineWithStages[];
  current: PipelineWithStages;
  canWrite: boolean;
  /** The rendered board (boardSection), possibly from the render cache. */
  board: Html;
}

/** Deals → Board: pick a pipeline; drag cards between stages. */
export function boardPage(p: BoardPageProps): Html {
  return page(p.ctx, {
    title: `${p.current.name} pipeline`,
    nav: "deals",
    body: html`<div class="page-head">
  <h1>Deals</h1>
  <div class="record-actions">
    <a href="${p.base}/deals?pipelineId=${p.current.id}">List view</a>
    ${p.canWrite ? html`<a class="button" href="${p.base}/deals/new?pipelineId=${p.current.id}">New deal</a>` : ""}
  </div>
</div>
<nav class="tabs pipelines" aria-label="Pipelines">${join(
      p.pipelines.map((pl) =>
        pl.id === p.current.id
          ? html`<strong aria-current="page">${pl.name}</strong>`
          : html`<a href="${p.base}/deals/board?pipelineId=${pl.id}">${pl.name}</a>`,
      ),
    )}</nav>
${p.canWrite ? html`<p class="hint">Drag a card to another stage, or use its “Move to…” menu.</p>` : ""}
${p.board}`,
  });
}
