import { type Html, html } from "../html.ts";

/** Tags as chips, each a link to the list filtered by it. */
export function tagChips(tags: string[], listPath: string): Html {
  return html`${tags.map((tag) => html`<a class="tag" href="${listPath}?tag=${encodeURIComponent(tag)}">${tag}</a>`)}`;
}
