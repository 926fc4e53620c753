import type { WebhookDeliveryRow } from "../../src/webhooks/schema.ts";
import type { WebhookSubscription } from "../../src/webhooks/subscriptions.ts";
import { csrfField, type FormState, selectField, textField } from "../components/form-field.ts";
import { formatDateTime } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";
import { webhookStatus } from "./webhooks-page.ts";

export interface WebhookPageProps {
  ctx: PageContext;
  base: string;
  webhook: WebhookSubscription;
  deliveries: WebhookDeliveryRow[];
  form: FormState;
  problem?: string;
}

function deliveryRow(d: WebhookDeliveryRow): Html {
  return html`<tr class="${d.ok ? "ok" : "failed"}"><td>${formatDateTime(d.attemptedAt)}</td><td>${d.eventType}</td><td>${d.changeId}</td><td>${d.attempt}</td>
<td>${d.ok ? "Delivered" : "Failed"}${d.statusCode === null ? "" : html` (${d.statusCode})`}</td><td>${d.durationMs} ms</td><td>${d.error ?? ""}</td>
<td>${d.nextAttemptAt === null ? "" : formatDateTime(d.nextAttemptAt)}</td></tr>`;
}

/** Settings → Webhooks → one webhook: change it, and its delivery log (newest first). */
export function webhookPage(p: WebhookPageProps): Html {
  const w = p.webhook;
  const url = `${p.base}/settings/webhooks/${w.id}`;
  return page(p.ctx, {
    title: "Webhook",
    nav: "settings",
    body: html`<section class="settings">
${settingsNav(p.base, "webhooks")}
<h1>Webhook <span class="muted">${webhookStatus(w)}</span></h1>
${p.problem ? html`<p class="flash error" role="alert">${p.problem}</p>` : ""}
${w.disabledReason ? html`<p class="flash error" role="alert">${w.disabledReason}</p>` : ""}
<form class="stacked" method="post" action="${url}">${csrfField(p.ctx.csrfToken)}
${textField({ name: "url", label: "URL", form: p.form, idPrefix: "webhook", type: "url", required: true, maxlength: 2000 })}
${textField({ name: "events", label: "Events", form: p.form, idPrefix: "webhook", required: true, maxlength: 1500, hint: 'Separated by commas: "contact.created", "deal.*" or "*".' })}
${selectField({
  name: "enabled",
  label: "Deliveries",
  form: p.form,
  idPrefix: "webhook",
  options: [
    { value: "1", label: "On" },
    { value: "0", label: "Paused" },
  ],
})}
<button type="submit">Save</button></form>
<p><a href="${p.base}/settings/webhooks">All webhooks</a></p>
<h2>Deliveries</h2>
${
  p.deliveries.length
    ? html`<table class="list"><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Change</th><th scope="col">Attempt</th><th scope="col">Result</th><th scope="col">Took</th><th scope="col">Error</th><th scope="col">Next attempt</th></tr></thead><tbody>${join(p.deliveries.map(deliveryRow))}</tbody></table>`
    : html`<p class="empty">Nothing delivered yet.</p>`
}
</section>`,
  });
}
