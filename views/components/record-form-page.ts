import { type Html, type HtmlValue, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";
import { csrfField, type FormState, formErrors } from "./form-field.ts";

export interface RecordFormPageProps {
  ctx: PageContext;
  nav: NavKey;
  title: string;
  action: string;
  cancelHref: string;
  submitLabel: string;
  form: FormState;
  /** Field names the form shows; errors on any other field are listed above it. */
  shownFields: string[];
  fields: HtmlValue;
}

/** A record's full-page create or edit form: a plain POST that works without JavaScript. */
export function recordFormPage(p: RecordFormPageProps): Html {
  return page(p.ctx, {
    title: p.title,
    nav: p.nav,
    body: html`<section class="record-form"><h1>${p.title}</h1><form method="post" action="${p.action}" novalidate="">${csrfField(p.ctx.csrfToken)}${formErrors(p.form, p.shownFields)}${p.fields}<div class="form-actions"><button type="submit">${p.submitLabel}</button><a href="${p.cancelHref}">Cancel</a></div></form></section>`,
  });
}

export interface ConfirmDeletePageProps {
  ctx: PageContext;
  nav: NavKey;
  /** What is being deleted, e.g. "Jane Doe". */
  name: string;
  action: string;
  cancelHref: string;
}

/** "Delete X?" with a POST button: the no-JavaScript path to deleting (htmx asks with hx-confirm instead). */
export function confirmDeletePage(p: ConfirmDeletePageProps): Html {
  return page(p.ctx, {
    title: `Delete ${p.name}`,
    nav: p.nav,
    body: html`<section class="confirm"><h1>Delete ${p.name}?</h1><p>This cannot be undone.</p><form method="post" action="${p.action}">${csrfField(p.ctx.csrfToken)}<button type="submit" class="danger">Delete</button> <a href="${p.cancelHref}">Cancel</a></form></section>`,
  });
}
