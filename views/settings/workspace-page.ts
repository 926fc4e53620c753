import { csrfField, type FormState, selectField, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";

export interface WorkspacePageProps {
  ctx: PageContext;
  base: string;
  /** The time zone now in force (UTC when never set). */
  timeZone: string;
  /** The currency new deals take and the locale amounts are written and shown in. */
  money: { currency: string; locale: string };
  /** The time zone form as typed and its error, after a refused change. */
  form: FormState;
  /** The currency and locale form as typed and its errors, after a refused change. */
  moneyForm: FormState;
  /** Every IANA zone this server knows, offered as the field's suggestions. */
  zones: string[];
  /** Every ISO 4217 code this server knows, offered as suggestions. */
  currencies: string[];
  /** The locales offered, with how each writes an amount. */
  locales: readonly { value: string; label: string }[];
  /** Just saved: say so. */
  saved: boolean;
  moneySaved?: boolean;
}

function moneySection(p: WorkspacePageProps): Html {
  const form =
    p.moneyForm.values.currency === undefined
      ? { ...p.moneyForm, values: { currency: p.money.currency, locale: p.money.locale } }
      : p.moneyForm;
  return html`<h2 id="money-title">Currency and number format</h2>
${p.moneySaved ? html`<p class="flash" role="status">Saved: ${p.money.currency}, ${p.money.locale}.</p>` : ""}
<form method="post" action="${p.base}/settings/workspace/money" class="stacked" novalidate aria-labelledby="money-title">${csrfField(p.ctx.csrfToken)}
${textField({ name: "currency", label: "Currency", form, idPrefix: "workspace", required: true, maxlength: 3, list: "currency-codes", autocomplete: "off" })}
<datalist id="currency-codes">${p.currencies.map((c) => html`<option value="${c}"></option>`)}</datalist>
${selectField({ name: "locale", label: "Locale (how amounts are written)", form, idPrefix: "workspace", options: [...p.locales] })}
<p class="hint">The currency new deals start in (ISO 4217, such as USD, EUR or GBP). Changing it does not convert any amount: existing deals keep their currency and their numbers. The locale decides whether "," or "." marks decimals when amounts are typed, and how every amount is shown.</p>
<button type="submit">Save</button>
</form>`;
}

/** Settings → Workspace: the workspace's time zone, currency and locale (owners and admins). */
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
${moneySection(p)}
</section>`,
  });
}
