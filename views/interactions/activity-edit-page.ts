import { csrfField, type FormState, formErrors } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { activityFields } from "./activity-fields.ts";

const LABELS: Record<string, string> = { call: "Call", meeting: "Meeting", email: "Email" };

export interface ActivityEditPageProps {
  ctx: PageContext;
  /** `/t/<slug>`. */
  base: string;
  activity: { id: number; kind: string };
  /** Summary, direction, day and time (the viewer's zone) as typed or stored, and their problems. */
  form: FormState;
  /** The record the activity is on: where Save, Delete and Cancel go back to. */
  back: { href: string; label: string; nav: "contacts" | "companies" | "deals" };
}

/** A logged call, meeting or email opened from its record's timeline: correct it or delete it. */
export function activityEditPage(p: ActivityEditPageProps): Html {
  const action = `${p.base}/activities/${p.activity.id}`;
  const label = LABELS[p.activity.kind] ?? "Activity";
  const error = p.form.errors.summary;
  return page(p.ctx, {
    title: label,
    nav: p.back.nav,
    body: html`<section class="confirm"><h1>${label} on ${p.back.label}</h1>
<form id="edit-activity" class="stacked" method="post" action="${action}" aria-label="Correct the ${label.toLowerCase()}">
  ${csrfField(p.ctx.csrfToken)}
  <div class="inline-fields">${activityFields({ form: p.form, idPrefix: "edit-activity", direction: p.activity.kind !== "meeting" })}</div>
  <label class="field${error ? " invalid" : ""}" for="edit-activity-summary"><span>Summary</span><textarea id="edit-activity-summary" name="summary" rows="4" maxlength="2000" required${error ? html` aria-invalid="true" aria-describedby="edit-activity-summary-error"` : ""}>${p.form.values.summary ?? ""}</textarea>${error ? html`<small class="field-error" id="edit-activity-summary-error">${error}</small>` : ""}</label>
  <div class="form-actions"><button type="submit">Save</button> <a href="${p.back.href}">Cancel</a></div>
  ${formErrors(p.form, ["summary", "direction", "occurredOn", "occurredTime"])}
</form>
<form id="delete-activity" method="post" action="${action}/delete" aria-label="Delete the ${label.toLowerCase()}">
  ${csrfField(p.ctx.csrfToken)}
  <button type="submit" class="danger">Delete this ${label.toLowerCase()}</button>
</form>
<p class="hint">The change is kept on the record's timeline: who changed or deleted it, and when.</p>
<p><a href="${p.back.href}">Back to ${p.back.label}</a></p></section>`,
  });
}
