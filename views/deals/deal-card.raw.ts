import { formatMoney } from "../../src/core/money.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import type { Stage } from "../../src/pipelines/schema.ts";
import { CARD_TITLE_SHOWN, titleIfLong } from "../components/long-text.raw.ts";
import { escapeHtml as e, type Html, trustedHtml } from "../html.ts";

export interface CardContext {
  base: string;
  nonce: string;
  csrfToken: string;
  canWrite: boolean;
  stages: Stage[];
  /** The workspace's locale, for amounts. */
  locale?: string;
  /** The workspace's currency: what an empty column's zero is shown in. */
  currency?: string;
}

/**
 * A deal on the board. Draggable onto another column (app.js posts to its "Move to…" link's
 * URL), and, for keyboards and without JavaScript, that link: app.js opens the board's one
 * shared "Move to…" dialog for it (views/deals/board.ts), a browser without JavaScript the
 * deal's move page. A card carries no form of its own: 120 per-card forms were most of the
 * board's bytes. A template literal for speed (a board shows up to 20 cards a column): every
 * text value goes through e().
 */
export function dealCard(d: DealRecord, ctx: CardContext): Html {
  const path = `${ctx.base}/deals/${d.id}`;
  const meta = [
    d.amountCents ? formatMoney(d.amountCents, d.currency, ctx.locale) : "",
    d.companyName ? e(d.companyName) : "",
    d.ownerName ? e(d.ownerName) : "",
    d.expectedCloseOn ? `closes ${e(d.expectedCloseOn)}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  const move = ctx.canWrite
    ? `<a class="move" href="${path}/stage">Move<span class="visually-hidden"> ${e(d.title)}</span> to…</a>`
    : "";
  return trustedHtml(
    `<article class="card" id="deal-${d.id}"${ctx.canWrite ? ' draggable="true"' : ""}><a class="card-title" href="${path}"${titleIfLong(d.title, CARD_TITLE_SHOWN)}>${e(d.title)}</a><div class="card-meta">${meta}</div>${move}</article>`,
  );
}
