import { type Html, html } from "../html.ts";

/** A record page's Edit, Merge… (kinds that can be merged) and Delete buttons: plain links, no JavaScript. */
export function recordActions(path: string, mergeable: boolean): Html {
  return html`<div class="record-actions"><a class="button" href="${path}/edit">Edit</a>${
    mergeable ? html`<a class="button" href="${path}/merge">Merge…</a>` : ""
  }<a class="button danger" href="${path}/delete">Delete</a></div>`;
}
