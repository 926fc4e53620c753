import { flashFragment } from "../components/flash.ts";
import { csrfField } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface SegmentPageProps {
  ctx: PageContext;
  base: string;
  segment: { id: number; name: string };
  /** The rules in words. */
  summary: Html;
  canWrite: boolean;
  /** How many contacts it holds now (absent when its rules no longer fit the workspace). */
  total?: number;
  /** The members in the contacts list's table, with its pager and bulk form. */
  results?: Html;
  /** Why it cannot be listed: a rule names a field that has gone, say. */
  problems?: string[];
  /** After a bulk change of its members: how many changed. */
  changed?: number;
}

/** A segment's page: its rules, who is in it now (keyset pages of the contacts table), export, edit and delete. */
export function segmentPage(p: SegmentPageProps): Html {
  const href = `${p.base}/segments/${p.segment.id}`;
  // Export CSV is in the results, as on the lists.
  const actions = html`<div class="record-actions">${
    p.canWrite
      ? html`<a class="button" href="${href}/edit">Edit</a> <form class="inline" method="post" action="${href}/delete">${csrfField(p.ctx.csrfToken)}<button type="submit" class="link danger">Delete segment</button></form>`
      : ""
  }</div>`;
  return page(p.ctx, {
    title: p.segment.name,
    nav: "segments",
    flash:
      p.changed === undefined
        ? undefined
        : flashFragment("notice", `${p.changed} ${p.changed === 1 ? "contact" : "contacts"} changed.`),
    body: html`<div class="page-head"><h1>${p.segment.name}</h1>${actions}</div>
<p class="subtitle"><a href="${p.base}/segments">Segments</a>${p.total === undefined ? "" : html` · ${formatCount(p.total)} ${p.total === 1 ? "contact" : "contacts"}`}</p>
${p.summary}
${
  p.problems
    ? html`<section class="confirm"><h2>This segment's rules no longer fit the workspace</h2><ul class="form-errors" role="alert">${p.problems.map(
        (m) => html`<li>${m}</li>`,
      )}</ul>${p.canWrite ? html`<p><a href="${href}/edit">Edit the rules</a></p>` : ""}</section>`
    : (p.results ?? "")
}`,
  });
}
