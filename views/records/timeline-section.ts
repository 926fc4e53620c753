import type { TimelinePage } from "../../src/interactions/timeline.ts";
import { csrfField } from "../components/form-field.ts";
import type { ViewerClock } from "../components/local-time.ts";
import { type Html, html, join } from "../html.ts";
import { activityFields } from "../interactions/activity-fields.ts";
import { timelineEntry } from "./timeline-entry.ts";

export interface TimelineProps {
  base: string;
  subject: { type: "contact" | "company" | "deal"; id: number };
  page: TimelinePage;
  nonce: string;
  csrfToken: string;
  canWrite: boolean;
  /** Changes only (the record's history) rather than everything. */
  history: boolean;
  /** The viewer's time zone and the minute the page is for. */
  clock: ViewerClock;
  /** Now, in the viewer's zone: what a new call, meeting or email is dated unless changed. */
  loggedAt?: { day: string; time: string };
}

function timelineHref(p: TimelineProps, before?: number): string {
  const query = new URLSearchParams();
  if (p.history) query.set("view", "history");
  if (before !== undefined) query.set("before", String(before));
  const text = query.toString();
  return `${p.base}/timeline/${p.subject.type}/${p.subject.id}${text ? `?${text}` : ""}`;
}

/** The entries and, if there are older ones, a "Show older" link that loads the next page in its place. */
export function timelineEntries(p: TimelineProps): Html {
  const more = p.page.nextBefore
    ? html`<li class="more"><a href="${timelineHref(p, p.page.nextBefore)}" hx-get="${timelineHref(p, p.page.nextBefore)}&fragment=entries" hx-target="closest li" hx-swap="outerHTML" hx-nonce="${p.nonce}">Show older</a></li>`
    : "";
  return html`${join(p.page.entries.map((e) => timelineEntry(e, p.base, p.subject, { names: p.page.names, clock: p.clock }, p.canWrite)))}${more}`;
}

/** Out of band beside an entry just added: the timeline is no longer empty, so "Nothing yet." goes. */
export function timelineNoLongerEmpty(nonce: string): Html {
  return html`<div id="timeline-empty" hx-swap-oob="true" hx-nonce="${nonce}"></div>`;
}

/** The forms that add to a timeline: log a call, meeting or email; write a note. */
export function timelineForms(
  p: Pick<TimelineProps, "base" | "subject" | "nonce" | "csrfToken" | "loggedAt">,
): Html {
  const hidden = html`${csrfField(p.csrfToken)}<input type="hidden" name="subjectType" value="${p.subject.type}"><input type="hidden" name="subjectId" value="${p.subject.id}">`;
  return html`<div class="timeline-forms" id="timeline-forms">
<form id="new-note" class="stacked" data-reset method="post" action="${p.base}/notes" hx-post="${p.base}/notes" hx-target="#timeline-entries" hx-swap="afterbegin" hx-nonce="${p.nonce}">
  ${hidden}
  <label class="field" for="note-body"><span>Note</span><textarea id="note-body" name="body" rows="3" maxlength="10000" required placeholder="Write a note (links become clickable)"></textarea></label>
  <button type="submit">Add note</button>
</form>
<form id="new-activity" class="stacked" data-reset method="post" action="${p.base}/activities" hx-post="${p.base}/activities" hx-target="#timeline-entries" hx-swap="afterbegin" hx-nonce="${p.nonce}">
  ${hidden}
  <div class="inline-fields">
    <label class="field" for="activity-kind"><span>Log</span><select id="activity-kind" name="kind"><option value="call">Call</option><option value="meeting">Meeting</option><option value="email">Email</option></select></label>
    ${activityFields({ form: { values: { occurredOn: p.loggedAt?.day ?? "", occurredTime: p.loggedAt?.time ?? "" }, errors: {} }, idPrefix: "activity", direction: true })}
  </div>
  <label class="field" for="activity-summary"><span>Summary</span><textarea id="activity-summary" name="summary" rows="2" maxlength="2000" required></textarea></label>
  <button type="submit">Log activity</button>
</form>
</div>`;
}

/** A record's timeline: the add forms (for writers), a switch between everything and history, the entries. */
export function timelineSection(p: TimelineProps): Html {
  const all = `${p.base}/${p.subject.type === "company" ? "companies" : `${p.subject.type}s`}/${p.subject.id}`;
  return html`<section class="timeline" aria-label="Timeline">
<div class="section-head"><h2>${p.history ? "History" : "Timeline"}</h2>
<nav class="tabs">${p.history ? html`<a href="${all}">Everything</a> <strong>History</strong>` : html`<strong>Everything</strong> <a href="${all}?view=history">History</a>`}</nav></div>
${p.canWrite && !p.history ? timelineForms(p) : ""}
<ol class="entries" id="timeline-entries">${timelineEntries(p)}</ol>
<div id="timeline-empty">${p.page.entries.length === 0 ? html`<p class="empty">Nothing yet.</p>` : ""}</div>
</section>`;
}
