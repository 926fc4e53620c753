import type { CompanyRecord } from "../../src/companies/company-record.ts";
import { selectCell } from "../components/bulk-bar.ts";
import { formatCount, formatDay } from "../components/format.ts";
import type { ColumnChoice } from "../components/list-columns.ts";
import { rowActions } from "../components/row-actions.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.ts";
import { customCells } from "../custom-fields/custom-cells.ts";
import { escapeHtml as e, type Html, html, trustedHtml } from "../html.ts";

export const COMPANY_COLUMNS = 10;

/** The company list's optional columns, in table order. */
export const COMPANY_COLUMN_CHOICES: ColumnChoice[] = [
  { key: "website", label: "Website" },
  { key: "phone", label: "Phone" },
  { key: "city", label: "City" },
  { key: "country", label: "Country" },
  { key: "contacts", label: "Contacts" },
  { key: "tags", label: "Tags" },
  { key: "owner", label: "Owner" },
  { key: "createdAt", label: "Created" },
];

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
  const day = formatDay(co.createdAt);
  return trustedHtml(
    `<tr id="company-${co.id}">${selectCell(ctx, co.id, co.name)}<td><a href="${path}">${e(co.name)}</a></td><td>${domainLink(co.domain).value}</td><td class="nowrap">${
      co.phone ? e(co.phone) : ""
    }</td><td>${co.city ? e(co.city) : ""}</td><td>${co.country ? e(co.country) : ""}</td><td class="num"><a href="${
      ctx.base
    }/contacts?companyId=${co.id}">${formatCount(co.contactCount)}</a></td><td>${tagChips(co.tags, `${ctx.base}/companies`).value}</td><td>${
      co.ownerName ? e(co.ownerName) : ""
    }</td><td><time datetime="${day}">${day}</time></td>${customCells(ctx.custom, co.id)}${rowActions(ctx, path, "company").value}</tr>\n`,
  );
}
