import { type Html, html } from "../html.ts";

/** A message in the page's flash area; htmx error responses are swapped into #flash. */
export function flashFragment(kind: "error" | "notice", message: string): Html {
  return html`<p class="flash ${kind}">${message}</p>`;
}
