import { formatMoney } from "../../src/core/money.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import type { Stage } from "../../src/pipelines/schema.ts";
import { escapeHtml as e, type Html, trustedHtml } from "../html.ts";

export interface CardContext {
  base: string;
  nonce: string;
  csrfToken: string;
  canWrite: boolean;
  stages: Stage[];
}

/**
 * A deal on the board. Draggable onto another column (app.js), and, for keyboards and no
 * JavaScript, a "Move to…" menu of the pipeline's other stages. A template literal for speed
 * (a board shows up to 20 cards a column): every text value goes through e().
 */
export function dealCard(d: DealRecord, ctx: CardContext): Html {
  const path = `${ctx.base}/deals/${d.id}`;
  const meta = [
    d.amountCents ? formatMoney(d.amountCents, d.currency) : "",
    d.companyName ? e(d.companyName) : "",
    d.ownerName ? e(d.ownerName) : "",
    d.expectedCloseOn ? `closes ${e(d.expectedCloseOn)}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  const move = ctx.canWrite
    ? `<details class="move"><summary>Move to…</summary><form method="post" action="${path}/stage" hx-post="${path}/stage" hx-target="#board" hx-swap="outerHTML" hx-nonce="${ctx.nonce}"><input type="hidden" name="_csrf" value="${ctx.csrfToken}"><input type="hidden" name="_fragment" value="board">${ctx.stages
        .filter((s) => s.id !== d.stageId)
        .map((s) => `<button type="submit" name="stageId" value="${s.id}" class="link">${e(s.name)}</button>`)
        .join("")}</form></details>`
    : "";
  return trustedHtml(
    `<article class="card" id="deal-${d.id}"${ctx.canWrite ? ` draggable="true" data-move-url="${path}/stage"` : ""}><a class="card-title" href="${path}">${e(d.title)}</a><div class="card-meta">${meta}</div>${move}</article>`,
  );
}
