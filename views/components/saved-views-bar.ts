import type { SavedViewSummary } from "../../src/saved-views/saved-views.ts";
import { type Html, html } from "../html.ts";
import { csrfField } from "./form-field.ts";

export interface SavedViewsBarProps {
  /** The list's URL, /t/<slug>/contacts. */
  listHref: string;
  /** /t/<slug>/views */
  viewsHref: string;
  views: SavedViewSummary[];
  /** The current URL's query, `?…`, to mark the view being looked at. */
  current: string;
  viewerId: number;
  isAdmin: boolean;
  csrfToken: string;
}

/**
 * The saved views of a list as tabs: "All", the viewer's own and those shared with the
 * workspace; the one being looked at is marked (aria-current). A view's × deletes it.
 */
export function savedViewsBar(p: SavedViewsBarProps): Html {
  const link = (href: string, label: string, note: Html = html``) =>
    href === p.current
      ? html`<a href="${p.listHref}${href}" class="tab" title="${label}" aria-current="page">${label}</a>${note}`
      : html`<a href="${p.listHref}${href}" class="tab" title="${label}">${label}</a>${note}`;
  return html`<nav class="saved-views" aria-label="Saved views">
<ul>
<li>${link("?", "All")}</li>${p.views.map((v) => {
    const mine = v.ownerId === p.viewerId;
    const note = v.shared
      ? mine
        ? html` <small>(shared)</small>`
        : html` <small>(${v.ownerName})</small>`
      : html``;
    const remove =
      mine || p.isAdmin
        ? html`<form class="inline" method="post" action="${p.viewsHref}/${v.id}/delete">${csrfField(p.csrfToken)}<button type="submit" class="link" aria-label="Delete the view ${v.name}">×</button></form>`
        : html``;
    return html`<li>${link(v.href, v.name, note)}${remove}</li>`;
  })}</ul></nav>`;
}

export interface SaveViewFormProps {
  viewsHref: string;
  list: string;
  /** The list's current query (filters, sort, columns). */
  query: string;
  csrfToken: string;
  canShare: boolean;
}

/**
 * "Save this view": in the results section, so it always carries the filters on screen; behind
 * a "Save view" disclosure, which opens without JavaScript too.
 */
export function saveViewForm(p: SaveViewFormProps): Html {
  return html`<details class="save-view-toggle"><summary>Save view</summary><form class="save-view panel" method="post" action="${p.viewsHref}">${csrfField(p.csrfToken)}
<input type="hidden" name="list" value="${p.list}"><input type="hidden" name="query" value="${p.query}">
<input name="name" maxlength="60" required placeholder="Name this view" aria-label="View name">
${p.canShare ? html`<label><input type="checkbox" name="shared"> Share with the team</label>` : ""}
<button type="submit">Save view</button></form></details>`;
}
