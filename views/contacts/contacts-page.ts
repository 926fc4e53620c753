import { flashFragment } from "../components/flash.ts";
import type { FormState } from "../components/form-field.ts";
import { listFilters, RECORD_SORT_OPTIONS } from "../components/list-filters.ts";
import type { RecordListPageProps } from "../components/record-list-page-props.ts";
import { savedViewsBar } from "../components/saved-views-bar.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";

import { newContactForm } from "./new-contact-form.ts";

export interface ContactsPageProps extends RecordListPageProps {
  newForm: FormState;
}

export function contactsPage(p: ContactsPageProps): Html {
  const base = p.row.base;
  return page(p.ctx, {
    title: "Contacts",
    flash:
      p.changed === undefined
        ? undefined
        : flashFragment("notice", `${p.changed} ${p.changed === 1 ? "contact" : "contacts"} changed.`),
    nav: "contacts",
    body: html`<div class="page-head">
  <h1>Contacts</h1>
  ${p.row.canWrite ? html`<a class="button" href="${base}/contacts/new">New contact</a>` : ""}
</div>
${p.row.canWrite ? newContactForm(base, p.newForm, p.ctx.csrfToken, p.ctx.nonce) : ""}
${savedViewsBar(p.savedViews)}
${listFilters({
  action: `${base}/contacts`,
  target: "#contacts-results",
  nonce: p.ctx.nonce,
  searchPlaceholder: "Name, email or company",
  values: p.filters,
  tags: p.tags,
  owners: p.owners.map((u) => ({ value: String(u.id), label: u.name })),
  sorts: RECORD_SORT_OPTIONS,
  customFields: p.customFields,
  columns: p.columns,
})}
${p.results}`,
  });
}
