import type { ErasurePreview } from "../../src/privacy/erase-person.ts";
import { csrfField } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface ErasurePageProps {
  ctx: PageContext;
  person: ErasurePreview;
  /** Where the form posts. */
  action: string;
  /** The person's data export, to download before erasing. */
  exportHref: string;
  cancelHref: string;
}

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** "Erase X?": what goes, what stays, and a POST button (the no-JavaScript path; htmx posts the same form). */
export function erasurePage({ ctx, person, action, exportHref, cancelHref }: ErasurePageProps): Html {
  // Pushed events are deleted, not emptied (ADR 0005); the line is left out when there are none.
  const events = person.pushedEvents
    ? html`<li>${plural(person.pushedEvents, "pushed event", "pushed events")} (web visits, email opens and clicks, form submissions) and their engagement summary, deleted;</li>`
    : "";
  return page(ctx, {
    title: `Erase ${person.name}`,
    nav: "contacts",
    body: html`<section class="confirm"><h1>Erase ${person.name}?</h1><p>${person.name}${person.email ? ` (${person.email})` : ""} will be removed from this workspace for good, as the law requires when someone asks to be forgotten:</p><ul class="plain"><li>the contact, with its tags and custom field values, and its place on ${plural(person.deals, "deal", "deals")} (the deals stay);</li><li>${plural(person.notes, "note", "notes")} and ${plural(person.tasks, "task", "tasks")} about them;</li><li>the details of ${plural(person.interactions, "logged interaction", "logged interactions")}: the log keeps only that something happened, and when.</li>${events}</ul><p>The erasure itself is logged, without anything about the person. It cannot be undone: <a href="${exportHref}">download their data</a> first if they asked for a copy.</p><form method="post" action="${action}">${csrfField(ctx.csrfToken)}<button type="submit" class="danger">Erase ${person.name}</button> <a href="${cancelHref}">Cancel</a></form></section>`,
  });
}
