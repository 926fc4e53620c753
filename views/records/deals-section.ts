import { formatMoney } from "../../src/core/money.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import { type Html, html, join } from "../html.ts";

/** The deals a contact is on or a company has, with a "New deal" link that starts one from here. */
export function dealsSection(
  deals: DealRecord[],
  base: string,
  newHref: string | null,
  allHref: string,
  total: number,
  /** The workspace's locale, for amounts. */
  locale?: string,
): Html {
  return html`<section class="related" aria-labelledby="deals-title">
<div class="section-head"><h2 id="deals-title">Deals <span class="count">${total}</span></h2>${newHref ? html`<a class="button" href="${newHref}">New deal</a>` : ""}</div>
${
  deals.length
    ? html`<ul class="deals">${join(
        deals.map(
          (d) =>
            html`<li><a href="${base}/deals/${d.id}">${d.title}</a> · ${formatMoney(d.amountCents, d.currency, locale)} · <span class="stage kind-${d.status}">${d.stageName}</span></li>`,
        ),
      )}</ul>`
    : html`<p class="empty">No deals yet.</p>`
}
${total > deals.length ? html`<p><a href="${allHref}">All ${total} deals &rarr;</a></p>` : ""}
</section>`;
}
