import { csrfField, type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";

export interface WorkspacePageProps {
  ctx: PageContext;
  base: string;
  /** The time zone now in force (UTC when never set). */
  timeZone: string;
  /** The form as typed and its error, after a refused change. */
  form: FormState;
  /** Every IANA zone this server knows, offered as the field's suggestions. */
  zones: string[];
  /** Just saved: say so. */
  saved: boolean;
}

/** Settings → Workspace: the workspace's time zone (owners and admins). */
export function workspacePage(p: WorkspacePageProps): Html {
  const form =
    p.form.values.timeZone === undefined ? { ...p.form, values: { timeZone: p.timeZone } } : p.form;
  return page(p.ctx, {
    title: "Workspace settings",
    nav: "settings",
    body: html`<section class="settings">
${settingsNav(p.base, "workspace")}
<div class="section-head"><h1>Workspace</h1></div>
${p.saved ? html`<p class="flash" role="status">Time zone saved: ${p.timeZone}.</p>` : ""}
<form method="post" action="${p.base}/settings/workspace" class="stacked" novalidate>${csrfField(p.ctx.csrfToken)}
${textField({ name: "timeZone", label: "Time zone", form, idPrefix: "workspace", required: true, maxlength: 64, list: "time-zones", autocomplete: "off" })}
<datalist id="time-zones">${p.zones.map((z) => html`<option value="${z}"></option>`)}</datalist>
<p class="hint">An IANA name such as Europe/Paris or America/New_York. The nightly analytics read weekdays and hours in it (the activity heatmap); pages show times in each viewer's own zone.</p>
<button type="submit">Save</button>
</form>
</section>`,
  });
}
