import type { TimelinePage } from "../../src/interactions/timeline.ts";
import type { ViewerClock } from "../components/local-time.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { timelineEntry } from "../records/timeline-entry.ts";
import { settingsNav } from "./settings-nav.ts";

/** Settings → Audit log: every change in the workspace (or everything logged), newest first. */
export function auditPage(
  ctx: PageContext,
  base: string,
  log: TimelinePage,
  everything: boolean,
  clock: ViewerClock,
): Html {
  const nowhere = { type: "none", id: 0 };
  const older = log.nextBefore
    ? `${base}/settings/audit?before=${log.nextBefore}${everything ? "&all=1" : ""}`
    : null;
  return page(ctx, {
    title: "Audit log",
    nav: "settings",
    body: html`<section class="settings">
${settingsNav(base, "audit")}
<div class="section-head"><h1>Audit log</h1><nav class="tabs">${
      everything
        ? html`<a href="${base}/settings/audit">Changes</a> <strong>Everything</strong>`
        : html`<strong>Changes</strong> <a href="${base}/settings/audit?all=1">Everything</a>`
    }</nav></div>
<p class="hint">Who changed what, and when, across the workspace. Only owners and admins see this page.</p>
<ol class="entries">${join(log.entries.map((e) => timelineEntry(e, base, nowhere, { names: log.names, clock })))}</ol>
${log.entries.length ? "" : html`<p class="empty">Nothing yet.</p>`}
${older ? html`<p><a href="${older}">Older &rarr;</a></p>` : ""}
</section>`,
  });
}
