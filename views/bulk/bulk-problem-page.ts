import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";

export interface BulkProblemPageProps {
  ctx: PageContext;
  nav: NavKey;
  problems: string[];
  backHref: string;
}

/** A bulk change that was refused: nothing was changed, and why. */
export function bulkProblemPage(p: BulkProblemPageProps): Html {
  return page(p.ctx, {
    title: "Nothing was changed",
    nav: p.nav,
    body: html`<section class="confirm">
<h1>Nothing was changed</h1>
<ul class="form-errors" role="alert">${p.problems.map((problem) => html`<li>${problem}</li>`)}</ul>
<p><a href="${p.backHref}">Back to the list</a></p>
</section>`,
  });
}
