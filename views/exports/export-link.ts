import { type Html, html } from "../html.ts";

/**
 * "Export CSV" for a list: the same filters and sort as the list on screen (its URL, `href`,
 * a path of ours like `/t/<slug>/contacts?tag=vip`), every matching record, from
 * `/t/<slug>/exports/<list>.csv`; and the same with a byte-order mark, which Excel needs to
 * read UTF-8. The export ignores what only shapes the page (columns, cursor).
 */
export function exportLinks(href: string): Html {
  const at = href.indexOf("?");
  const path = at < 0 ? href : href.slice(0, at);
  const query = at < 0 ? "" : href.slice(at + 1);
  const slash = path.lastIndexOf("/");
  const csv = `${path.slice(0, slash)}/exports${path.slice(slash)}.csv${query ? `?${query}` : ""}`;
  return html`<p class="export-links"><a href="${csv}" download="">Export CSV</a> · <a href="${csv}${query ? "&" : "?"}bom=1" download="">for Excel</a></p>`;
}
