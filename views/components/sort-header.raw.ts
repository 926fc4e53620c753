import { escapeHtml as e, type Html, trustedHtml } from "../html.ts";

/** A column header that sorts its list: the link that sorts by it and, on the sorted column, the direction. */
export interface SortLink {
  href: string;
  state?: "ascending" | "descending";
}

/** The sortable columns of a list, by column key (`name`, `createdAt`, `cf.<key>`…). */
export type ListSorting = Record<string, SortLink>;

/**
 * A list's column header: a plain link to the list sorted by the column (the sorted column's
 * link turns the order round), with `aria-sort` on the sorted one. A link, not a script, so it
 * works without JavaScript; a full page, so the filter form's sort follows it. Hand-escaped: a
 * custom field's label is text.
 */
export function sortHeaderRaw(label: string, link: SortLink | undefined, numeric = false): string {
  const cls = numeric ? ` class="num"` : "";
  if (!link) return `<th scope="col"${cls}>${e(label)}</th>`;
  const sort = link.state ? ` aria-sort="${link.state}"` : "";
  const arrow = link.state
    ? `<span class="sort-arrow" aria-hidden="true">${link.state === "ascending" ? "▲" : "▼"}</span>`
    : "";
  return `<th scope="col"${cls}${sort}><a class="sort" href="${e(link.href)}">${e(label)}${arrow}</a></th>`;
}

/** The same header as `Html`, for the escaping templates. */
export function sortHeader(label: string, link: SortLink | undefined, numeric = false): Html {
  return trustedHtml(sortHeaderRaw(label, link, numeric));
}
