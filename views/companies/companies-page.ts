import type { UserSummary } from "../../src/auth/users.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import { flashFragment } from "../components/flash.ts";
import type { FormState } from "../components/form-field.ts";
import type { ListColumns } from "../components/list-columns.ts";
import { listFilters, RECORD_SORT_OPTIONS } from "../components/list-filters.ts";
import type { RowContext } from "../components/row-context.ts";
import { type SavedViewsBarProps, savedViewsBar } from "../components/saved-views-bar.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

import { newCompanyForm } from "./new-company-form.ts";

export interface CompaniesPageProps {
  ctx: PageContext;
  row: RowContext;
  /** The rendered results section (companiesResults), possibly from the render cache. */
  results: Html;
  filters: Record<string, string | undefined>;
  owners: UserSummary[];
  /** The workspace's custom fields of this kind (sort and filter choices). */
  customFields: FieldDefinition[];
  /** The optional columns and which are shown. */
  columns: ListColumns;
  savedViews: SavedViewsBarProps;
  /** After a bulk change: how many records it changed. */
  changed?: number;
  tags: string[];
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
