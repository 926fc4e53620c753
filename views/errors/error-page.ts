import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { AssetUrls } from "../layouts/page-context.ts";

export interface ErrorPageProps {
  status: number;
  title: string;
  message: string;
  nonce: string;
  assets: AssetUrls;
}

export function errorPage(props: ErrorPageProps): Html {
  return page(
    { nonce: props.nonce, csrfToken: "", assets: props.assets },
    {
      title: props.title,
      body: html`<section class="error-page">
        <h1>${props.status} · ${props.title}</h1>
        <p>${props.message}</p>
        <p><a href="/">Go to the start page</a></p>
      </section>`,
    },
  );
}
