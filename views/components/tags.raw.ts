import { escapeHtml, type Html, trustedHtml } from "../html.ts";

/** Tags as chips, each a link to the list filtered by it. */
export function tagChips(tags: string[], listPath: string): Html {
  let out = "";
  for (const tag of tags) {
    out += `<a class="tag" href="${listPath}?tag=${escapeHtml(encodeURIComponent(tag))}">${escapeHtml(tag)}</a>`;
  }
  return trustedHtml(out);
}
