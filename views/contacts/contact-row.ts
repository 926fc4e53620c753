import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { selectCell } from "../components/bulk-bar.ts";
import { formatDay } from "../components/format.ts";
import type { ColumnChoice } from "../components/list-columns.ts";
import { rowActions } from "../components/row-actions.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.ts";
import { customCells } from "../custom-fields/custom-cells.ts";
import { escapeHtml as e, type Html, trustedHtml } from "../html.ts";

/** The contact list's optional columns, in table order. */
export const CONTACT_COLUMN_CHOICES: ColumnChoice[] = [
  { key: "email", label: "Email" },
  { key: "phone", label: "Phone" },
  { key: "title", label: "Title" },
  { key: "company", label: "Company" },
  { key: "tags", label: "Tags" },
  { key: "owner", label: "Owner" },
  { key: "createdAt", label: "Created" },
];

/**
 * One contact in the list. The list page, a search, a create and a save all render this same
 * row. A plain template literal for speed (see escapeHtml): every text value goes through e();
 * ids, dates and paths are built from numbers and the slug.
 */
export function contactRow(c: ContactRecord, ctx: RowContext): Html {
  const path = `${ctx.base}/contacts/${c.id}`;
  const day = formatDay(c.createdAt);
  return trustedHtml(
    `<tr id="contact-${c.id}">${selectCell(ctx, c.id, `${c.firstName} ${c.lastName}`)}<td><a href="${path}">${e(c.firstName)} ${e(c.lastName)}</a></td><td>${
      c.email ? `<a href="mailto:${e(c.email)}">${e(c.email)}</a>` : ""
    }</td><td class="nowrap">${c.phone ? e(c.phone) : ""}</td><td>${c.title ? e(c.title) : ""}</td><td>${
      c.companyId ? `<a href="${ctx.base}/companies/${c.companyId}">${e(c.companyName ?? "")}</a>` : ""
    }</td><td>${tagChips(c.tags, `${ctx.base}/contacts`).value}</td><td>${c.ownerName ? e(c.ownerName) : ""}</td><td><time datetime="${day}">${day}</time></td>${customCells(ctx.custom, c.id)}${
      rowActions(ctx, path, "contact").value
    }</tr>\n`,
  );
}
