import type { CompanyRecord } from "../../src/companies/company-record.ts";
import { formatCount, formatDay } from "../components/format.ts";
import { LIST_NAME_SHOWN, titleIfLong } from "../components/long-text.raw.ts";
import { rowActions } from "../components/row-actions.raw.ts";
import type { RowContext } from "../components/row-context.ts";
import { selectCell } from "../components/select-cell.raw.ts";
import { tagChips } from "../components/tags.raw.ts";
import { customCells } from "../custom-fields/custom-cells.raw.ts";
import { escapeHtml as e, type Html, html, trustedHtml } from "../html.ts";

/** A company's website link: the stored value is a validated bare hostname, so the link is always https. */
export function domainLink(domain: string | null): Html {
  return domain
    ? html`<a href="https://${domain}" rel="noopener noreferrer nofollow" target="_blank">${domain}</a>`
    : html``;
}

/**
 * One company in the list; the list page, a search, a create and a save all render this same
 * row. A plain template literal for speed (see escapeHtml): every text value goes through e().
 */
export function companyRow(co: CompanyRecord, ctx: RowContext): Html {
  const path = `${ctx.base}/companies/${co.id}`;
  return trustedHtml(
    `<tr id="company-${co.id}">${selectCell(ctx, co.id, co.name)}<td><a href="${path}"${titleIfLong(co.name, LIST_NAME_SHOWN)}>${e(co.name)}</a></td><td>${domainLink(co.domain).value}</td><td>${
      co.phone ? e(co.phone) : ""
    }</td><td>${co.city ? e(co.city) : ""}</td><td>${co.country ? e(co.country) : ""}</td><td class="num"><a href="${
      ctx.base
    }/contacts?companyId=${co.id}">${formatCount(co.contactCount)}</a></td><td>${tagChips(co.tags, `${ctx.base}/companies`).value}</td><td>${
      co.ownerName ? e(co.ownerName) : ""
    }</td><td><time>${formatDay(co.createdAt)}</time></td>${customCells(ctx.custom, co.id)}${rowActions(ctx, path, co.name)}</tr>\n`,
  );
}
