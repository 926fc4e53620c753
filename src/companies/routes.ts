import { type Context, Hono } from "hono";
import { companiesPage } from "../../views/companies/companies-page.ts";
import { companiesResults } from "../../views/companies/companies-results.ts";
import { companyEditRow } from "../../views/companies/company-edit-row.ts";
import { COMPANY_FORM_FIELDS, companyFields } from "../../views/companies/company-fields.ts";
import { companyPage } from "../../views/companies/company-page.tsx";
import { COMPANY_COLUMN_CHOICES, companyRow } from "../../views/companies/company-row.ts";
import { newCompanyForm } from "../../views/companies/new-company-form.ts";
import { EMPTY_FORM, type FormState } from "../../views/components/form-field.ts";
import { confirmDeletePage, recordFormPage } from "../../views/components/record-form-page.tsx";
import { customInputs } from "../../views/custom-fields/custom-inputs.ts";
import { html, trustedHtml } from "../../views/html.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { listUsers } from "../auth/users.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { listContacts } from "../contacts/list-contacts.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import { customFormPart } from "../custom-fields/record-form.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { parseAll, writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext, rowContext, wantsFragment } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { toFtsQuery } from "../lists/fts-query.ts";
import { parseListParams } from "../lists/list-params.ts";
import { filterKey, isFiltered } from "../lists/record-filter.ts";
import { recordSections } from "../record-pages/record-sections.ts";
import { recordListPage } from "../records/record-list-page.ts";
import { companyFormValues, parseCompanyForm } from "./company-form.ts";
import { createCompany } from "./create-company.ts";
import { deleteCompany } from "./delete-company.ts";
import { getCompany } from "./get-company.ts";
import { companyListParams, countCompanies, listCompanies, suggestCompanies } from "./list-companies.ts";
import { updateCompany } from "./update-company.ts";

type C = Context<ViewerEnv>;

/** A submitted company form, built-in and custom fields (one ValidationError naming every bad field). */
function parseForm(c: C, fields: Record<string, string>) {
  const custom = customFormPart(c.var.shard, "company");
  const [input, customFields] = parseAll(
    () => parseCompanyForm(fields, c.var.viewer.id),
    () => custom.parse(fields),
  );
  return { ...input, customFields };
}

/** A row with its custom columns (for a row rendered on its own: after a create, a save, a cancel). */
function rowWithColumns(c: C, id: number) {
  return { ...rowContext(c), custom: customColumns(c.var.shard, "company", [id]) };
}

/** The company pages: list, quick add, detail, edit (in place or full page), delete, and name suggestions. */
export function companyRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  const base = (c: C) => `/t/${c.var.tenant.slug}/companies`;

  const formPage = (c: C, id: number | null, form: FormState) => {
    const custom = customFormPart(c.var.shard, "company");
    return recordFormPage({
      ctx: pageContext(c, deps),
      nav: "companies",
      title: id ? "Edit company" : "New company",
      action: id ? `${base(c)}/${id}` : base(c),
      cancelHref: id ? `${base(c)}/${id}` : base(c),
      submitLabel: id ? "Save" : "Create company",
      form,
      shownFields: [...COMPANY_FORM_FIELDS, ...custom.inputNames],
      fields: html`${companyFields(form, listUsers(c.var.shard), "company")}${customInputs(custom.fields, form, "company")}`,
    });
  };

  app.get("/", (c) => {
    const params = parseListParams(companyListParams, c.req.query(), false);
    const shard = c.var.shard;
    const list = recordListPage(c, deps, {
      list: "companies",
      entity: "company",
      builtInColumns: COMPANY_COLUMN_CHOICES,
      params,
      countKey: filterKey(params),
      filtered: isFiltered(params),
      page: () => listCompanies(shard, params),
      count: () => countCompanies(shard, params),
      results: companiesResults,
    });
    if (wantsFragment(c)) return c.html(list.results);
    return c.html(
      companiesPage({
        ...list,
        ctx: pageContext(c, deps),
        results: trustedHtml(list.results),
        newForm: EMPTY_FORM,
      }).value,
    );
  });

  /** `<option>`s for the company field's datalist on contact forms. */
  app.get("/options", (c) => {
    const typed = c.req.query("companyName") ?? c.req.query("q") ?? "";
    const fts = toFtsQuery(typed.slice(0, 200));
    const names = fts ? suggestCompanies(c.var.shard, fts) : [];
    return c.html(html`${names.map((name) => html`<option value="${name}"></option>`)}`.value);
  });

  app.post("/", async (c) => {
    const shard = c.var.shard;
    const actor = actorOf(c.var.viewer);
    const fields = await formFields(c);
    const inline = fields._fragment === "row" && wantsFragment(c);
    const result = writeFromForm(fields, () => createCompany(shard, actor, parseForm(c, fields)));
    const tenantBase = `/t/${c.var.tenant.slug}`;
    if (!result.ok) {
      if (inline) {
        return c.html(
          newCompanyForm(tenantBase, result.form, pageContext(c, deps).csrfToken, c.var.nonce).value,
          422,
          {
            "HX-Retarget": "#new-company",
            "HX-Reswap": "outerHTML",
          },
        );
      }
      return c.html(formPage(c, null, result.form).value, 422);
    }
    if (inline) {
      const freshForm = newCompanyForm(tenantBase, EMPTY_FORM, pageContext(c, deps).csrfToken, c.var.nonce);
      return c.html(
        html`${companyRow(result.value, rowWithColumns(c, result.value.id))}<hx-partial hx-target="#new-company" hx-swap="outerHTML" hx-nonce="${c.var.nonce}">${freshForm}</hx-partial>`
          .value,
        201,
      );
    }
    return c.redirect(`${base(c)}/${result.value.id}`, 303);
  });

  app.get("/new", (c) =>
    c.html(formPage(c, null, { values: { ownerId: String(c.var.viewer.id) }, errors: {} }).value),
  );

  app.get("/:id", (c) => {
    const company = getCompany(c.var.shard, idParam(c));
    return c.html(
      companyPage({
        ctx: pageContext(c, deps),
        company,
        // A company page lists its 20 most recently added people.
        contacts: listContacts(c.var.shard, { companyId: company.id, limit: 20 }).rows,
        row: rowContext(c),
        sections: recordSections(c, deps, { type: "company", id: company.id }),
      }).value,
    );
  });

  app.get("/:id/row", (c) => {
    const company = getCompany(c.var.shard, idParam(c));
    return c.html(companyRow(company, rowWithColumns(c, company.id)).value);
  });

  app.get("/:id/edit", (c) => {
    const company = getCompany(c.var.shard, idParam(c));
    const form = {
      values: {
        ...companyFormValues(company),
        ...customFormPart(c.var.shard, "company").valuesOf(company.id),
      },
      errors: {},
    };
    if (c.req.query("fragment") === "row") {
      return c.html(
        companyEditRow(
          company.id,
          form,
          listUsers(c.var.shard),
          rowWithColumns(c, company.id),
          pageContext(c, deps).csrfToken,
        ).value,
      );
    }
    return c.html(formPage(c, company.id, form).value);
  });

  app.post("/:id", async (c) => {
    const shard = c.var.shard;
    const id = getCompany(shard, idParam(c)).id;
    const fields = await formFields(c);
    const inline = fields._fragment === "row" && wantsFragment(c);
    const result = writeFromForm(fields, () =>
      updateCompany(shard, actorOf(c.var.viewer), id, parseForm(c, fields)),
    );
    if (!result.ok) {
      if (inline) {
        return c.html(
          companyEditRow(
            id,
            result.form,
            listUsers(shard),
            rowWithColumns(c, id),
            pageContext(c, deps).csrfToken,
          ).value,
          422,
        );
      }
      return c.html(formPage(c, id, result.form).value, 422);
    }
    if (inline) return c.html(companyRow(result.value, rowWithColumns(c, id)).value);
    return c.redirect(`${base(c)}/${id}`, 303);
  });

  app.get("/:id/delete", (c) => {
    const company = getCompany(c.var.shard, idParam(c));
    return c.html(
      confirmDeletePage({
        ctx: pageContext(c, deps),
        nav: "companies",
        name: company.name,
        action: `${base(c)}/${company.id}/delete`,
        cancelHref: `${base(c)}/${company.id}`,
      }).value,
    );
  });

  app.post("/:id/delete", (c) => {
    deleteCompany(c.var.shard, actorOf(c.var.viewer), idParam(c));
    if (wantsFragment(c)) return c.body(null, 200);
    return c.redirect(base(c), 303);
  });

  return app;
}
