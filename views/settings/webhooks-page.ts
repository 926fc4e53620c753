import type { WebhookSubscription } from "../../src/webhooks/subscriptions.ts";
import { csrfField, type FormState, textField } from "../components/form-field.ts";
import { formatDateTime } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";

export interface WebhooksPageProps {
  ctx: PageContext;
  base: string;
  webhooks: WebhookSubscription[];
  form: FormState;
  problem?: string;
  /** A secret shown once, right after a subscription was made or its secret rotated. */
  secret?: { url: string; value: string };
}

/** Where a subscription stands, in a word or two. */
export function webhookStatus(w: WebhookSubscription): string {
  if (w.disabledReason) return "Disabled after failures";
  if (!w.enabled) return "Paused";
  if (w.failures > 0) return `Retrying (${w.failures} failed)`;
  return "Active";
}

/** A form that posts one action, enhanced by htmx to swap the section in place. */
function action(p: WebhooksPageProps, path: string, label: string, danger = false): Html {
  return html`<form class="inline" method="post" action="${path}" hx-post="${path}" hx-target="#webhooks" hx-swap="outerHTML" hx-nonce="${p.ctx.nonce}">${csrfField(p.ctx.csrfToken)}<button type="submit" class="link${danger ? " danger" : ""}">${label}</button></form>`;
}

/** The notice for a subscription that stopped after its retries ran out (no mail is sent: this is where it shows). */
function disabledNotice(p: WebhooksPageProps, w: WebhookSubscription): Html {
  const url = `${p.base}/settings/webhooks/${w.id}`;
  return html`<div class="flash error" role="alert" id="webhook-${w.id}-disabled"><p>Deliveries to <strong>${w.url}</strong> stopped${
    w.disabledAt ? html` on ${formatDateTime(w.disabledAt)}` : ""
  }: ${w.disabledReason ?? ""}</p><p>Fix the receiver, then re-enable it: the change that failed is sent again first.</p>${action(p, `${url}/enable`, "Re-enable deliveries")}</div>`;
}

function row(p: WebhooksPageProps, w: WebhookSubscription): Html {
  const url = `${p.base}/settings/webhooks/${w.id}`;
  return html`<tr id="webhook-${w.id}"><td><a href="${url}">${w.url}</a></td><td>${w.events.join(", ")}</td><td>${webhookStatus(w)}</td>
<td class="actions">${action(p, `${url}/secret`, "Rotate secret")} ${action(p, `${url}/delete`, "Delete", true)}</td></tr>`;
}

/** The tab's content (the page and the htmx answer to its forms render this). */
export function webhooksSection(p: WebhooksPageProps): Html {
  const create = `${p.base}/settings/webhooks`;
  return html`<section id="webhooks">
${p.problem ? html`<p class="flash error" role="alert">${p.problem}</p>` : ""}
${
  p.secret
    ? html`<div class="secret" role="status"><p>Signing secret for ${p.secret.url}. It is shown only this once: store it with the receiver.</p><input class="secret-value" readonly value="${p.secret.value}" aria-label="Signing secret"></div>`
    : ""
}
${join(p.webhooks.filter((w) => w.disabledReason).map((w) => disabledNotice(p, w)))}
${
  p.webhooks.length
    ? html`<table class="list"><thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>${join(p.webhooks.map((w) => row(p, w)))}</tbody></table>`
    : html`<p class="empty">No webhooks yet.</p>`
}
<h2>New webhook</h2>
<form class="stacked" method="post" action="${create}" hx-post="${create}" hx-target="#webhooks" hx-swap="outerHTML" hx-nonce="${p.ctx.nonce}">${csrfField(p.ctx.csrfToken)}
${textField({ name: "url", label: "URL", form: p.form, idPrefix: "new-webhook", type: "url", required: true, maxlength: 2000, placeholder: "https://example.com/crm-hooks" })}
${textField({ name: "events", label: "Events", form: p.form, idPrefix: "new-webhook", required: true, maxlength: 1500, placeholder: "contact.created, deal.*", hint: 'Event kinds separated by commas: "contact.created", every kind of one object ("deal.*") or everything ("*").' })}
<button type="submit">Add webhook</button></form>
</section>`;
}

/** Settings → Webhooks (owners and admins): subscriptions, their status and the notices of those that stopped. */
export function webhooksPage(p: WebhooksPageProps): Html {
  return page(p.ctx, {
    title: "Webhooks",
    nav: "settings",
    body: html`<section class="settings">
${settingsNav(p.base, "webhooks")}
<h1>Webhooks</h1>
<p class="hint">Each change in the workspace that a webhook listens to is sent to its URL as a signed JSON POST, oldest first; a failed delivery is retried for about a day, then the webhook is disabled. How to verify the signature: README, "Webhooks".</p>
${webhooksSection(p)}
</section>`,
  });
}
