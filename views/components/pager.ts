import { type Html, html, trustedHtml } from "../html.ts";

export interface PagerOptions {
  /** The list's URL with its filters, without a cursor. */
  baseHref: string;
  nextCursor: string | null;
  prevCursor: string | null;
  /** htmx target that receives the results (the same fragment the filters swap). */
  target: string;
  nonce: string;
}

function withCursor(baseHref: string, cursor: string): string {
  return `${baseHref}${baseHref.includes("?") ? "&" : "?"}cursor=${cursor}`;
}

function pageLink(o: PagerOptions, href: string, label: Html, rel: string): Html {
  return html`<a href="${href}" rel="${rel}" hx-get="${href}" hx-target="${o.target}" hx-swap="outerHTML" hx-push-url="true" hx-nonce="${o.nonce}">${label}</a>`;
}

/** First / previous / next links of a keyset-paginated list: plain links that htmx upgrades. */
export function pager(o: PagerOptions): Html {
  if (!o.nextCursor && !o.prevCursor) return html``;
  return html`<nav class="pager" aria-label="Pages">
    ${o.prevCursor ? pageLink(o, o.baseHref, trustedHtml("&laquo; First"), "first") : html`<span>&laquo; First</span>`}
    ${o.prevCursor ? pageLink(o, withCursor(o.baseHref, o.prevCursor), trustedHtml("&lsaquo; Previous"), "prev") : html`<span>&lsaquo; Previous</span>`}
    ${o.nextCursor ? pageLink(o, withCursor(o.baseHref, o.nextCursor), trustedHtml("Next &rsaquo;"), "next") : html`<span>Next &rsaquo;</span>`}
  </nav>`;
}
