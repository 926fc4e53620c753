import { formatMoney } from "../../src/core/money.ts";
import type { Board, BoardColumn } from "../../src/deals/board.ts";
import { csrfField } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";
import { type CardContext, dealCard } from "./deal-card.raw.ts";
import { lostReasonField } from "./lost-reason-field.ts";
import { moveDealForm } from "./move-deal-form.ts";

function money(sums: { currency: string; cents: number }[], ctx: CardContext): string {
  return sums.length
    ? sums.map((s) => formatMoney(s.cents, s.currency, ctx.locale)).join(" + ")
    : formatMoney(0, ctx.currency ?? "USD", ctx.locale).replace(/[\d.,]+/, "0");
}

function column(col: BoardColumn, ctx: CardContext): Html {
  const s = col.stage;
  return html`<section class="column kind-${s.kind}" data-stage-id="${s.id}" id="stage-${s.id}" aria-labelledby="stage-${s.id}-name">
<header><h2 id="stage-${s.id}-name">${s.name}</h2>
<p class="totals"><span class="count" data-count="${col.count}">${formatCount(col.count)}</span> · <span class="sum">${money(col.sums, ctx)}</span>${
    s.kind === "open"
      ? html`<br><span class="muted">forecast ${money(col.weighted, ctx)} (${s.probability}%)</span>`
      : ""
  }</p></header>
<div class="cards">${join(col.deals.map((d) => dealCard(d, ctx)))}</div>
${col.more ? html`<a class="more" href="${ctx.base}/deals?stageId=${s.id}">All ${formatCount(col.count)} &rarr;</a>` : ""}
</section>`;
}

/**
 * The one "Move to…" form every card of the board shares, in a dialog that app.js opens for a
 * card (setting the form's action to the card's move URL and hiding its current stage).
 */
function moveDialog(ctx: CardContext): Html {
  return html`<dialog id="move-dialog" aria-labelledby="move-dialog-title"><h2 id="move-dialog-title">Move <span class="move-deal"></span> to</h2>
${moveDealForm({ action: "", csrfToken: ctx.csrfToken, stages: ctx.stages, idPrefix: "move-dialog" })}<form method="dialog"><button type="submit" class="link">Cancel</button></form></dialog>`;
}

/**
 * Asked when a card is dropped on a Lost column (app.js opens it, fills the stage and the
 * card's move URL, and sends the move only on "Mark lost"); Cancel or Escape closes it without
 * a request, and the card stays where it was.
 */
function lostDialog(ctx: CardContext): Html {
  return html`<dialog id="lost-dialog" aria-labelledby="lost-dialog-title"><h2 id="lost-dialog-title">Why was <span class="lost-deal"></span> lost?</h2>
<form class="lost-form" method="post" action="">${csrfField(ctx.csrfToken)}<input type="hidden" name="_fragment" value="board"><input type="hidden" name="stageId" value="">
${lostReasonField({ idPrefix: "lost-dialog", required: true })}
<div class="form-actions"><button type="submit" class="danger">Mark lost</button> <button type="submit" class="link" formmethod="dialog" formnovalidate value="cancel">Cancel</button></div></form></dialog>`;
}

/** The kanban board of one pipeline: one column per stage with its count, sum and forecast. */
export function boardSection(board: Board, ctx: CardContext): Html {
  return html`<div id="board" class="board" data-pipeline-id="${board.pipeline.id}">${join(board.columns.map((c) => column(c, ctx)))}${
    ctx.canWrite
      ? html`${moveDialog(ctx)}${ctx.stages.some((s) => s.kind === "lost") ? lostDialog(ctx) : ""}`
      : ""
  }</div>`;
}
