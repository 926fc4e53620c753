import { recordPath } from "../../src/core/record-types.ts";
import type { HistoryNames } from "../../src/interactions/history-names.ts";
import type { TimelineEntry } from "../../src/interactions/timeline.ts";
import { exactLocalTime, localTime, type ViewerClock } from "../components/local-time.ts";
import { type Html, html } from "../html.ts";
import { autolink } from "./autolink.raw.ts";
import { changeLines } from "./change-lines.ts";

/** How a page reads its entries: the names their changes refer to, and the viewer's clock. */
export interface EntryReading {
  names: HistoryNames;
  clock: ViewerClock;
}

const ACTIVITY_LABELS: Record<string, string> = { call: "Call", meeting: "Meeting", email: "Email" };

/** The kinds integrations push (Event ingest), in words. */
const EVENT_LABELS: Record<string, string> = {
  "web.visit": "Visited a page",
  "email.opened": "Opened an email",
  "email.clicked": "Clicked a link in an email",
  "form.submitted": "Submitted a form",
};

/** An ingested event's details, as escaped text (never a link: the URL is the sender's). */
function eventDetails(p: Record<string, unknown>): Html {
  const parts: Html[] = [];
  if (p.campaign) parts.push(html`Campaign: ${String(p.campaign)}`);
  if (p.form) parts.push(html`Form: ${String(p.form)}`);
  if (p.title) parts.push(html`${String(p.title)}`);
  if (p.url) parts.push(html`<span class="url">${String(p.url)}</span>`);
  if (parts.length === 0) return html``;
  return html`<div class="text">${parts.map((part, i) => (i === 0 ? part : html` · ${part}`))}</div>`;
}

function text(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** What happened, in words (every value from the log is escaped; notes and summaries are autolinked). */
function body(e: TimelineEntry, names: HistoryNames): Html {
  const p = e.payload;
  const verb = e.kind.split(".")[1];
  if (ACTIVITY_LABELS[e.kind]) {
    const direction = p.direction ? html` <span class="muted">(${String(p.direction)})</span>` : "";
    return html`<strong>${ACTIVITY_LABELS[e.kind]}</strong>${direction}<div class="text">${autolink(String(p.summary ?? ""))}</div>`;
  }
  if (EVENT_LABELS[e.kind]) return html`<strong>${EVENT_LABELS[e.kind]}</strong>${eventDetails(p)}`;
  switch (e.kind) {
    case "note.created":
      return e.noteBody === null
        ? html`<strong>Note</strong> <span class="muted">(deleted)</span>`
        : html`<strong>Note</strong><div class="text">${autolink(e.noteBody)}</div>`;
    case "note.updated":
      return html`<strong>Changed a note</strong>`;
    case "note.deleted":
      return html`<strong>Deleted a note</strong>`;
    case "activity.updated":
      return html`<strong>Corrected a logged ${String(p.kind ?? "activity")}</strong>`;
    case "activity.deleted":
      return html`<strong>Deleted a logged ${String(p.kind ?? "activity")}</strong>`;
    case "task.completed":
      return html`<strong>Completed</strong> ${String(p.title ?? "a task")}`;
    case "task.deleted":
      return html`<strong>Deleted the task</strong> ${String(p.title ?? "")}`;
    case "deal.stage_changed":
      // The stages by their names now (one renamed since reads as it is called today), else as logged.
      return html`<strong>Moved</strong> ${names.stages.get(Number(p.fromStageId)) ?? text(p.from)} → ${names.stages.get(Number(p.toStageId)) ?? text(p.to)}`;
    case "deal.won":
      return html`<strong>Won</strong>`;
    case "deal.lost":
      return html`<strong>Lost</strong>${p.reason ? html`: ${String(p.reason)}` : ""}`;
    case "contact.erased":
      return html`<strong>Personal data erased</strong>`;
  }
  if (verb === "updated") return html`<strong>Changed</strong>${changeLines(e.subjectType, p, names)}`;
  if (verb === "merged") return html`<strong>Merged</strong> ${text(p.name)} into this record`;
  if (verb === "created") return html`<strong>Created</strong> ${text(p.name)}`;
  if (verb === "deleted") return html`<strong>Deleted</strong> ${text(p.name)}`;
  return html`<strong>${e.kind}</strong>`;
}

/**
 * One timeline line. On a merged timeline (a company's shows its people and deals) it names
 * the record it is about when that is not the page's own.
 */
export function timelineEntry(
  e: TimelineEntry,
  base: string,
  pageSubject: { type: string; id: number },
  reading: EntryReading,
  /** The viewer may write: a note that is still there links to its page (change or delete it). */
  canWrite = false,
): Html {
  const own = e.subjectType === pageSubject.type && e.subjectId === pageSubject.id;
  const about =
    own || e.subjectType === "task"
      ? ""
      : e.subjectName === null
        ? html` <span class="muted">on a deleted ${e.subjectType}</span>`
        : html` <span class="muted">on</span> <a href="${recordPath(base, { type: e.subjectType, id: e.subjectId })}">${e.subjectName}</a>`;
  const who = e.actorName ?? (e.actorType === "system" ? "System" : "Someone");
  return html`<li class="entry kind-${e.kind.replace(".", "-")}" id="interaction-${e.id}">
<div class="meta">${localTime(e.occurredAt, reading.clock)} · ${who}${about}${
    canWrite && e.kind === "note.created" && e.noteBody !== null && Number(e.payload.noteId) > 0
      ? html` · <a class="note-edit" href="${base}/notes/${Number(e.payload.noteId)}/edit">Edit<span class="visually-hidden"> the note of ${exactLocalTime(e.occurredAt, reading.clock.zone)}</span></a>`
      : ""
  }${
    canWrite && ACTIVITY_LABELS[e.kind] && e.actorType !== "system"
      ? html` · <a class="activity-edit" href="${base}/activities/${e.id}/edit">Edit<span class="visually-hidden"> the ${e.kind}</span></a>`
      : ""
  }</div>
<div class="what">${body(e, reading.names)}</div>
</li>`;
}
