import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";

export interface RefusedPageProps {
  ctx: PageContext;
  nav: NavKey;
  problems: string[];
  backHref: string;
  backLabel?: string;
}

/** A change that was refused (a bulk change, a saved view): nothing was changed, and why. */
export function refusedPage(p: RefusedPageProps): Html {
  return page(p.ctx, {
    title: "Nothing was changed",
    nav: p.nav,
    body: html`<section class="confirm">
<h1>Nothing was changed</h1>
<ul class="form-errors" role="alert">${p.problems.map((problem) => html`<li>${problem}</li>`)}</ul>
<p><a href="${p.backHref}">${p.backLabel ?? "Back to the list"}</a></p>
</section>`,
  });
}
