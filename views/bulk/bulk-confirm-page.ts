import { csrfField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";

export interface BulkConfirmPageProps {
  ctx: PageContext;
  nav: NavKey;
  /** "12 contacts". */
  what: string;
  action: string;
  /** The submitted form's fields, sent again with confirm=1. */
  fields: Record<string, string>;
  backHref: string;
}

/** "Delete 12 contacts?": a bulk delete asks once more, without JavaScript. */
export function bulkConfirmPage(p: BulkConfirmPageProps): Html {
  const hidden = Object.entries(p.fields)
    .filter(([name]) => name !== "_csrf" && name !== "confirm")
    .flatMap(([name, value]) =>
      (name === "ids" ? value.split("\n") : [value]).map(
        (v) => html`<input type="hidden" name="${name}" value="${v}">`,
      ),
    );
  return page(p.ctx, {
    title: `Delete ${p.what}`,
    nav: p.nav,
    body: html`<section class="confirm">
<h1>Delete ${p.what}?</h1>
<p>Their notes go with them and their tasks are kept, unlinked; the history keeps that they were deleted. This cannot be undone.</p>
<form method="post" action="${p.action}">${csrfField(p.ctx.csrfToken)}${hidden}<input type="hidden" name="confirm" value="1">
<button type="submit" class="danger">Delete ${p.what}</button> <a href="${p.backHref}">Cancel</a></form>
</section>`,
  });
}
