import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";

/** A record that may be a duplicate of the one being merged into. */
export interface MergeCandidate {
  id: number;
  name: string;
  /** An email, a company, a domain: whatever tells two namesakes apart. */
  detail: string | null;
}

export interface MergeCandidatesPageProps {
  ctx: PageContext;
  nav: NavKey;
  /** "contact" or "company", and its plural. */
  noun: string;
  nouns: string;
  survivor: { id: number; name: string; href: string };
  /** The merge page: the search form's action, and with `?with=<id>` the comparison. */
  mergePath: string;
  query: string;
  candidates: MergeCandidate[];
  /** Why the last choice was refused (a 422). */
  problem?: string;
}

function candidateItem(p: MergeCandidatesPageProps, c: MergeCandidate): Html {
  return html`<li><a href="${p.mergePath}?with=${c.id}">${c.name}</a>${c.detail ? html` <span class="muted">${c.detail}</span>` : ""}</li>`;
}

/** "Which record is the duplicate?": a search (a plain GET form) and the matches, each leading to the comparison. */
export function mergeCandidatesPage(p: MergeCandidatesPageProps): Html {
  const s = p.survivor;
  return page(p.ctx, {
    title: `Merge a duplicate into ${s.name}`,
    nav: p.nav,
    body: html`<section class="record-form merge">
<h1>Merge a duplicate into <a href="${s.href}">${s.name}</a></h1>
${p.problem ? html`<p class="form-errors" role="alert">${p.problem}</p>` : ""}
<p>Find the ${p.noun} that is the same as ${s.name}. You will compare the two and choose what to keep before anything changes.</p>
<form method="get" action="${p.mergePath}" class="inline-form" role="search">
<label class="field" for="merge-q"><span>Search ${p.nouns}</span>
<input id="merge-q" name="q" type="search" value="${p.query}" maxlength="200" autocomplete="off"></label>
<button type="submit">Search</button>
</form>
${
  p.candidates.length
    ? html`<ul class="people merge-candidates">${join(p.candidates.map((c) => candidateItem(p, c)))}</ul>`
    : html`<p class="empty">No other ${p.nouns} match “${p.query}”.</p>`
}
<p><a href="${s.href}">Cancel</a></p>
</section>`,
  });
}
