import { type Context, Hono } from "hono";
import { EMPTY_FORM, type FormState } from "../../views/components/form-field.ts";
import { confirmDeletePage, recordFormPage } from "../../views/components/record-form-page.tsx";
import { contactEditRow } from "../../views/contacts/contact-edit-row.ts";
import { CONTACT_FORM_FIELDS, contactFields } from "../../views/contacts/contact-fields.ts";
import { contactPage } from "../../views/contacts/contact-page.tsx";
import { CONTACT_COLUMN_CHOICES, contactRow } from "../../views/contacts/contact-row.ts";
import { contactsPage } from "../../views/contacts/contacts-page.ts";
import { contactsResults } from "../../views/contacts/contacts-results.ts";
import { newContactForm } from "../../views/contacts/new-contact-form.ts";
import { customInputs } from "../../views/custom-fields/custom-inputs.ts";
import { html, trustedHtml } from "../../views/html.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { listUsers } from "../auth/users.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import type { ParsedCustomValues } from "../custom-fields/field-values.ts";
import { customFormPart } from "../custom-fields/record-form.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { type FormWrite, parseAll, writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext, rowContext, wantsFragment } from "../http/page-context.ts";
import { hasRole } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import { filterKey, isFiltered } from "../lists/record-filter.ts";
import { recordSections } from "../record-pages/record-sections.ts";
import { recordListPage } from "../records/record-list-page.ts";
import { type ContactForm, contactFormValues, parseContactForm, resolveCompany } from "./contact-form.ts";
import { contactName } from "./contact-record.ts";
import { createContact } from "./create-contact.ts";
import { deleteContact } from "./delete-contact.ts";
import { getContact } from "./get-contact.ts";
import { contactListParams, countContacts, listContacts } from "./list-contacts.ts";
import { updateContact } from "./update-contact.ts";

type C = Context<ViewerEnv>;

/**
 * Parses a contact form (built-in and custom fields) and runs `write` with it; validation
 * errors come back as the form to show again.
 */
function withForm<T>(
  c: C,
  fields: Record<string, string>,
  write: (form: ContactForm, customFields: ParsedCustomValues) => T,
): FormWrite<T> {
  const custom = customFormPart(c.var.shard, "contact");
  return writeFromForm(fields, () =>
    write(
      ...parseAll<[ContactForm, ParsedCustomValues]>(
        () => parseContactForm(fields, c.var.viewer.id),
        () => custom.parse(fields),
      ),
    ),
  );
}

/** A row with its custom columns (for a row rendered on its own: after a create, a save, a cancel). */
function rowWithColumns(c: C, id: number) {
  return { ...rowContext(c), custom: customColumns(c.var.shard, "contact", [id]) };
}

/** The contact pages: list, quick add, detail, edit (in place or full page) and delete. */
export function contactRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  const editFormPage = (c: C, id: number | null, form: FormState) => {
    const custom = customFormPart(c.var.shard, "contact");
    return recordFormPage({
      ctx: pageContext(c, deps),
      nav: "contacts",
      title: id ? "Edit contact" : "New contact",
      action: id ? `/t/${c.var.tenant.slug}/contacts/${id}` : `/t/${c.var.tenant.slug}/contacts`,
      cancelHref: id ? `/t/${c.var.tenant.slug}/contacts/${id}` : `/t/${c.var.tenant.slug}/contacts`,
      submitLabel: id ? "Save" : "Create contact",
      form,
      shownFields: [...CONTACT_FORM_FIELDS, ...custom.inputNames],
      fields: html`${contactFields(
        form,
        listUsers(c.var.shard),
        "contact",
        `/t/${c.var.tenant.slug}/companies`,
        c.var.nonce,
      )}${customInputs(custom.fields, form, "contact")}`,
    });
  };

  app.get("/", (c) => {
    const params = parseListParams(contactListParams, c.req.query(), false);
    const shard = c.var.shard;
    const list = recordListPage(c, deps, {
      list: "contacts",
      entity: "contact",
      builtInColumns: CONTACT_COLUMN_CHOICES,
      params,
      countKey: filterKey(params),
      filtered: isFiltered(params),
      page: () => listContacts(shard, params),
      count: () => countContacts(shard, params),
      results: contactsResults,
    });
    if (wantsFragment(c)) return c.html(list.results);
    return c.html(
      contactsPage({
        ...list,
        ctx: pageContext(c, deps),
        results: trustedHtml(list.results),
        newForm: EMPTY_FORM,
      }).value,
    );
  });

  app.post("/", async (c) => {
    const shard = c.var.shard;
    const actor = actorOf(c.var.viewer);
    const fields = await formFields(c);
    const inline = fields._fragment === "row" && wantsFragment(c);
    const result = withForm(c, fields, (form, customFields) =>
      shard.transaction(() =>
        createContact(shard, actor, {
          ...form.input,
          companyId: resolveCompany(shard, actor, form),
          customFields,
        }),
      ),
    );
    const base = `/t/${c.var.tenant.slug}`;
    if (!result.ok) {
      if (inline) {
        return c.html(
          newContactForm(base, result.form, pageContext(c, deps).csrfToken, c.var.nonce).value,
          422,
          {
            "HX-Retarget": "#new-contact",
            "HX-Reswap": "outerHTML",
          },
        );
      }
      return c.html(editFormPage(c, null, result.form).value, 422);
    }
    if (inline) {
      const freshForm = newContactForm(base, EMPTY_FORM, pageContext(c, deps).csrfToken, c.var.nonce);
      return c.html(
        html`${contactRow(result.value, rowWithColumns(c, result.value.id))}<hx-partial hx-target="#new-contact" hx-swap="outerHTML" hx-nonce="${c.var.nonce}">${freshForm}</hx-partial>`
          .value,
        201,
      );
    }
    return c.redirect(`${base}/contacts/${result.value.id}`, 303);
  });

  app.get("/new", (c) =>
    c.html(editFormPage(c, null, { values: { ownerId: String(c.var.viewer.id) }, errors: {} }).value),
  );

  app.get("/:id", (c) => {
    const contact = getContact(c.var.shard, idParam(c));
    return c.html(
      contactPage({
        ctx: pageContext(c, deps),
        contact,
        row: rowContext(c),
        canManagePrivacy: hasRole(c.var.viewer.role, "admin"),
        sections: recordSections(c, deps, { type: "contact", id: contact.id }),
      }).value,
    );
  });

  app.get("/:id/row", (c) => {
    const contact = getContact(c.var.shard, idParam(c));
    return c.html(contactRow(contact, rowWithColumns(c, contact.id)).value);
  });

  app.get("/:id/edit", (c) => {
    const contact = getContact(c.var.shard, idParam(c));
    const form = {
      values: {
        ...contactFormValues(contact),
        ...customFormPart(c.var.shard, "contact").valuesOf(contact.id),
      },
      errors: {},
    };
    if (c.req.query("fragment") === "row") {
      return c.html(
        contactEditRow(
          contact.id,
          form,
          listUsers(c.var.shard),
          rowWithColumns(c, contact.id),
          pageContext(c, deps).csrfToken,
        ).value,
      );
    }
    return c.html(editFormPage(c, contact.id, form).value);
  });

  app.post("/:id", async (c) => {
    const shard = c.var.shard;
    const actor = actorOf(c.var.viewer);
    const id = getContact(shard, idParam(c)).id;
    const fields = await formFields(c);
    const inline = fields._fragment === "row" && wantsFragment(c);
    const result = withForm(c, fields, (form, customFields) =>
      shard.transaction(() =>
        updateContact(shard, actor, id, {
          ...form.input,
          companyId: resolveCompany(shard, actor, form),
          customFields,
        }),
      ),
    );
    if (!result.ok) {
      if (inline) {
        return c.html(
          contactEditRow(
            id,
            result.form,
            listUsers(shard),
            rowWithColumns(c, id),
            pageContext(c, deps).csrfToken,
          ).value,
          422,
        );
      }
      return c.html(editFormPage(c, id, result.form).value, 422);
    }
    if (inline) return c.html(contactRow(result.value, rowWithColumns(c, id)).value);
    return c.redirect(`/t/${c.var.tenant.slug}/contacts/${id}`, 303);
  });

  app.get("/:id/delete", (c) => {
    const contact = getContact(c.var.shard, idParam(c));
    const base = `/t/${c.var.tenant.slug}/contacts`;
    return c.html(
      confirmDeletePage({
        ctx: pageContext(c, deps),
        nav: "contacts",
        name: contactName(contact),
        action: `${base}/${contact.id}/delete`,
        cancelHref: `${base}/${contact.id}`,
      }).value,
    );
  });

  app.post("/:id/delete", (c) => {
    deleteContact(c.var.shard, actorOf(c.var.viewer), idParam(c));
    if (wantsFragment(c)) return c.body(null, 200);
    return c.redirect(`/t/${c.var.tenant.slug}/contacts`, 303);
  });

  return app;
}
