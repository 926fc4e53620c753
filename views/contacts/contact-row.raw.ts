import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { formatDay } from "../components/format.ts";
import { LIST_NAME_SHOWN, titleIfLong } from "../components/long-text.raw.ts";
import { rowActions } from "../components/row-actions.raw.ts";
import type { RowContext } from "../components/row-context.ts";
import { selectCell } from "../components/select-cell.raw.ts";
import { tagChips } from "../components/tags.raw.ts";
import { customCells } from "../custom-fields/custom-cells.raw.ts";
import { escapeHtml as e, type Html, trustedHtml } from "../html.ts";

/**
 * One contact in the list. The list page, a search, a create and a save all render this same
 * row, in the order of CONTACT_VIEW's columns. Hand-escaped for speed (see escapeHtml): every
 * text value goes through e(); ids, dates and paths are built from numbers and the slug.
 */
export function contactRow(c: ContactRecord, ctx: RowContext): Html {
  const path = `${ctx.base}/contacts/${c.id}`;
  return trustedHtml(
    `<tr id="contact-${c.id}">${selectCell(ctx, c.id, `${c.firstName} ${c.lastName}`)}<td><a href="${path}"${titleIfLong(`${c.firstName} ${c.lastName}`, LIST_NAME_SHOWN)}>${e(c.firstName)} ${e(c.lastName)}</a></td><td>${
      c.email
        ? `<a href="mailto:${e(c.email)}"${titleIfLong(c.email, LIST_NAME_SHOWN)}>${e(c.email)}</a>`
        : ""
    }</td><td>${c.phone ? e(c.phone) : ""}</td><td>${c.title ? e(c.title) : ""}</td><td>${
      c.companyId
        ? `<a href="${ctx.base}/companies/${c.companyId}"${titleIfLong(c.companyName ?? "", LIST_NAME_SHOWN)}>${e(c.companyName ?? "")}</a>`
        : ""
    }</td><td>${tagChips(c.tags, `${ctx.base}/contacts`).value}</td><td>${c.ownerName ? e(c.ownerName) : ""}</td><td><time>${formatDay(c.createdAt)}</time></td>${customCells(ctx.custom, c.id)}${rowActions(
      ctx,
      path,
      `${c.firstName} ${c.lastName}`,
    )}</tr>\n`,
  );
}
