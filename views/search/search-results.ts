import { recordPath } from "../../src/core/record-types.ts";
import type { HitType, SearchHit, SearchResults, SnippetPart } from "../../src/search/search-all.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

/** The kinds of hit, in the order and under the headings both the page and the dropdown show them. */
export const GROUPS: [HitType, string][] = [
  ["contact", "People"],
  ["company", "Companies"],
  ["deal", "Deals"],
  ["note", "Notes"],
];

/** What a hit's link shows before the dropdown clamps it (two lines). */
export const HIT_TITLE_SHOWN = 60;

/** A note snippet with its matched words highlighted. */
export function snippet(parts: SnippetPart[]): Html {
  return join(parts.map((part) => (part.match ? html`<mark>${part.text}</mark>` : part.text)));
}

function hitLink(base: string, hit: SearchHit): Html {
  if (hit.type === "note") {
    const href = recordPath(base, { type: hit.subjectType ?? "contact", id: hit.subjectId ?? 0 });
    return html`<a href="${href}#timeline-entries">${snippet(hit.snippet ?? [])}</a>`;
  }
  const href = recordPath(base, { type: hit.type, id: hit.id });
  // A long title is clamped to two lines in the dropdown: the whole of it in the link's title.
  const title = hit.title.length > HIT_TITLE_SHOWN ? html` title="${hit.title}"` : "";
  return html`<a href="${href}"${title}>${hit.title}</a>${hit.detail ? html` <span class="muted">${hit.detail}</span>` : ""}`;
}

/** The grouped results, as the dropdown under the search box and the search page both show them. */
export function searchResultsList(base: string, results: SearchResults, query: string): Html {
  const groups = GROUPS.filter(([type]) => results[type].length > 0);
  if (groups.length === 0)
    return query.trim() ? html`<p class="empty">No matches for “${query}”.</p>` : html``;
  return html`${join(
    groups.map(
      ([type, label]) =>
        html`<section class="hits"><h2>${label}</h2><ul>${join(results[type].map((hit) => html`<li>${hitLink(base, hit)}</li>`))}</ul></section>`,
    ),
  )}`;
}

export function searchPage(ctx: PageContext, base: string, results: SearchResults, query: string): Html {
  return page(ctx, {
    title: query ? `Search: ${query}` : "Search",
    body: html`<div class="page-head"><h1>Search</h1></div>
<form method="get" action="${base}/search" role="search" class="filters"><label class="filter search"><span>Search everything</span><input type="search" name="q" value="${query}" maxlength="200" autofocus></label><div class="filter-actions"><button type="submit">Search</button></div></form>
<div class="search-page">${searchResultsList(base, results, query)}</div>`,
  });
}
