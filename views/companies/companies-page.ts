import { flashFragment } from "../components/flash.ts";
import type { FormState } from "../components/form-field.ts";
import { listFilters, RECORD_SORT_OPTIONS } from "../components/list-filters.ts";
import type { RecordListPageProps } from "../components/record-list-page-props.ts";
import { savedViewsBar } from "../components/saved-views-bar.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";

import { newCompanyForm } from "./new-company-form.ts";

export interface CompaniesPageProps extends RecordListPageProps {
  newForm: FormState;
}

export function companiesPage(p: CompaniesPageProps): Html {
  const base = p.row.base;
  return page(p.ctx, {
    title: "Companies",
    flash:
      p.changed === undefined
        ? undefined
        : flashFragment("notice", `${p.changed} ${p.changed === 1 ? "company" : "companies"} changed.`),
    nav: "companies",
    body: html`<div class="page-head">
  <h1>Companies</h1>
  ${p.row.canWrite ? html`<a class="button" href="${base}/companies/new">New company</a>` : ""}
</div>
${p.row.canWrite ? newCompanyForm(base, p.newForm, p.ctx.csrfToken, p.ctx.nonce) : ""}
${savedViewsBar(p.savedViews)}
${listFilters({
  action: `${base}/companies`,
  target: "#companies-results",
  nonce: p.ctx.nonce,
  searchPlaceholder: "Name, domain, city or country",
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
