import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { type OpsPanelsProps, opsPanels } from "./ops-panels.ts";

export interface OpsPageProps extends OpsPanelsProps {
  ctx: PageContext;
  /** Who is looking: an operator's email, or how they got in (the host's loopback, the token). */
  operator: string;
  /** Whether a sign-out button makes sense (a signed-in operator). */
  signedIn: boolean;
}

/**
 * The ops dashboard: the panels, rendered whole (it works without JavaScript: reload it), then
 * refreshed by htmx from /ops/panels every sample interval.
 */
export function opsPage(p: OpsPageProps): Html {
  const every = Math.max(1, p.data.sampleSeconds);
  return page(p.ctx, {
    title: "Operations",
    body: html`<header class="page-head"><h1>Operations</h1>
<p class="hint">Host-level figures for all workspaces, refreshed every ${every} s. Viewing as ${p.operator}.</p>
${p.signedIn ? html`<form method="post" action="/ops/logout"><input type="hidden" name="_csrf" value="${p.ctx.csrfToken}"><button type="submit" class="link">Sign out</button></form>` : ""}
</header>
<div id="ops-panels" hx-get="/ops/panels" hx-trigger="every ${every}s" hx-swap="innerHTML" hx-nonce="${p.ctx.nonce}">
${opsPanels(p)}
</div>`,
  });
}
