import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

/** What anyone who is not an operator gets at /ops: no figures, only the way in. */
export function opsRefusedPage(ctx: PageContext): Html {
  return page(ctx, {
    title: "Operators only",
    body: html`<section class="confirm"><h1>Operators only</h1>
<p>The operations dashboard is for the host's operators: from the host itself, with the operator's bearer token, or signed in as an operator.</p>
<p><a href="/ops/login">Sign in as an operator</a></p></section>`,
  });
}
