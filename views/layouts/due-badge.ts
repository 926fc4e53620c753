import { type Html, html } from "../html.ts";

/**
 * The top bar's reminder: how many of the viewer's open tasks are due today or overdue, in a
 * holder that is there even at zero, so a task's answer can swap in the new number out of band
 * (`oob` with the request's nonce) wherever the page is.
 */
export function dueBadge(count: number | undefined, oob?: { nonce: string }): Html {
  const badge = count ? html`<span class="badge" title="due today or overdue">${count}</span>` : "";
  return oob
    ? html`<span id="due-tasks" hx-swap-oob="true" hx-nonce="${oob.nonce}">${badge}</span>`
    : html`<span id="due-tasks">${badge}</span>`;
}
