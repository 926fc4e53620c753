import { recordPath } from "../../src/core/record-types.ts";
import type { SearchHit, SearchResults } from "../../src/search/search-all.ts";
import { type Html, html, join } from "../html.ts";
import { GROUPS, HIT_TITLE_SHOWN, snippet } from "./search-results.ts";

function option(base: string, hit: SearchHit): Html {
  // Each option is the link itself: an option may hold no focusable element of its own.
  // tabindex="-1" keeps the options out of the Tab order: focus stays in the search box and
  // the arrow keys move the active option (app.js, aria-activedescendant).
  const id = `search-option-${hit.type}-${hit.id}`;
  if (hit.type === "note") {
    const href = recordPath(base, { type: hit.subjectType ?? "contact", id: hit.subjectId ?? 0 });
    return html`<a role="option" id="${id}" aria-selected="false" tabindex="-1" href="${href}#timeline-entries">${snippet(hit.snippet ?? [])}</a>`;
  }
  const href = recordPath(base, { type: hit.type, id: hit.id });
  // A long title is clamped to two lines (app.css): the whole of it in the option's title.
  const title = hit.title.length > HIT_TITLE_SHOWN ? html` title="${hit.title}"` : "";
  return html`<a role="option" id="${id}" aria-selected="false" tabindex="-1" href="${href}"${title}>${hit.title}${hit.detail ? html` <span class="muted">${hit.detail}</span>` : ""}</a>`;
}

/**
 * The dropdown under the top bar's search box: a listbox of the best hits, grouped by kind,
 * which the search box (a combobox) controls. Only ever fetched by htmx as the user types;
 * the search page lists the same hits as plain links (searchResultsList).
 */
export function searchDropdown(base: string, results: SearchResults, query: string): Html {
  const groups = GROUPS.filter(([type]) => results[type].length > 0);
  if (groups.length === 0)
    return query.trim() ? html`<p class="empty">No matches for “${query}”.</p>` : html``;
  return html`<div id="search-listbox" role="listbox" aria-label="Search results">${join(
    groups.map(
      ([type, label]) =>
        html`<div class="hits" role="group" aria-labelledby="search-group-${type}"><h3 id="search-group-${type}" role="presentation">${label}</h3><ul role="none">${join(results[type].map((hit) => html`<li role="none">${option(base, hit)}</li>`))}</ul></div>`,
    ),
  )}</div>`;
}
