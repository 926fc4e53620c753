import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

/** The start page: create a workspace, or go to the one you belong to. */
export function landingPage(ctx: PageContext, problem?: string): Html {
  return page(ctx, {
    title: "Welcome",
    body: html`<section class="auth-card"><h1>A fast CRM for small businesses</h1><p class="intro">Contacts and companies for your whole team, each business in a workspace of its own.</p><p><a class="button" href="/signup">Create a workspace</a></p><h2>Already have one?</h2>${
      problem ? html`<p class="flash error" role="alert">${problem}</p>` : ""
    }<form method="get" action="/go" class="inline"><label class="field" for="go-workspace"><span>Workspace address</span><input id="go-workspace" name="workspace" required maxlength="40" placeholder="acme" autocomplete="off"></label><button type="submit">Go to sign-in</button></form></section>`,
  });
}
