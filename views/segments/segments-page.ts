import type { SegmentField } from "../../src/segments/segment-fields.ts";
import type { RuleGroup } from "../../src/segments/segment-rules.ts";
import { formatDay } from "../components/format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { ruleSummary } from "./rule-summary.ts";

export interface SegmentsPageProps {
  ctx: PageContext;
  base: string;
  canWrite: boolean;
  segments: { id: number; name: string; rules: RuleGroup; updatedAt: number }[];
  fields: SegmentField[];
}

/**
 * The workspace's segments. Each one's count is asked for as the page loads (htmx, one
 * request per segment, counted in the worker pool); without JavaScript the name leads to the
 * segment's page, which shows it.
 */
export function segmentsPage(p: SegmentsPageProps): Html {
  const rows = p.segments.map((s) => {
    const href = `${p.base}/segments/${s.id}`;
    return html`<tr id="segment-${s.id}"><td><a href="${href}">${s.name}</a></td><td>${ruleSummary(s.rules, p.fields)}</td><td class="num"><a href="${href}" hx-get="${href}/count" hx-trigger="load" hx-swap="outerHTML" hx-nonce="${p.ctx.nonce}">Count</a></td><td><time datetime="${formatDay(s.updatedAt)}">${formatDay(s.updatedAt)}</time></td></tr>`;
  });
  return page(p.ctx, {
    title: "Segments",
    nav: "segments",
    body: html`<div class="page-head"><h1>Segments</h1>${p.canWrite ? html`<a class="button" href="${p.base}/segments/new">New segment</a>` : ""}</div>
<p class="hint">A segment is a saved set of rules on your contacts: who is in it is worked out whenever you look, so it is never out of date.</p>
${
  p.segments.length
    ? html`<table class="list"><thead><tr><th scope="col">Name</th><th scope="col">Rules</th><th scope="col" class="num">Contacts</th><th scope="col">Updated</th></tr></thead>
<tbody>${rows}</tbody></table>`
    : html`<p class="empty">No segments yet.</p>`
}`,
  });
}

/** A segment's count in the list (the htmx answer to its "Count" link), or why there is none. */
export function segmentCountCell(count: number | undefined, problem?: string): Html {
  return count === undefined
    ? html`<span class="muted" title="${problem ?? ""}">—</span>`
    : html`<span data-count="${count}">${count.toLocaleString("en-US")}</span>`;
}
