import { formatMoney } from "../../src/core/money.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import { formatDay } from "../components/format.ts";
import { LIST_NAME_SHOWN, titleIfLong } from "../components/long-text.raw.ts";
import { rowActions } from "../components/row-actions.raw.ts";
import type { RowContext } from "../components/row-context.ts";
import { selectCell } from "../components/select-cell.raw.ts";
import { tagChips } from "../components/tags.raw.ts";
import { customCells } from "../custom-fields/custom-cells.raw.ts";
import { escapeHtml as e, type Html, trustedHtml } from "../html.ts";

/** One deal in the list, in the order of DEAL_VIEW's columns (hand-escaped for speed: every text value through e()). */
export function dealRow(d: DealRecord, ctx: RowContext): Html {
  const path = `${ctx.base}/deals/${d.id}`;
  return trustedHtml(
    `<tr id="deal-${d.id}">${selectCell(ctx, d.id, d.title)}<td><a href="${path}"${titleIfLong(d.title, LIST_NAME_SHOWN)}>${e(d.title)}</a></td><td class="num">${formatMoney(d.amountCents, d.currency, ctx.locale)}</td><td><span class="stage kind-${d.status}">${e(d.stageName)}</span></td><td>${e(d.pipelineName)}</td><td>${
      d.companyId
        ? `<a href="${ctx.base}/companies/${d.companyId}"${titleIfLong(d.companyName ?? "", LIST_NAME_SHOWN)}>${e(d.companyName ?? "")}</a>`
        : ""
    }</td><td>${tagChips(d.tags, `${ctx.base}/deals`).value}</td><td>${d.ownerName ? e(d.ownerName) : ""}</td><td>${d.expectedCloseOn ? e(d.expectedCloseOn) : ""}</td><td><time>${formatDay(d.createdAt)}</time></td>${customCells(ctx.custom, d.id)}${rowActions(ctx, path, d.title)}</tr>\n`,
  );
}
