import type { FieldIssue } from "../../src/core/errors.ts";
import type { LinkedCounts } from "../../src/merge/linked-counts.ts";
import type { MergeSide } from "../../src/merge/merge-input.ts";
import { csrfField } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { Html, type HtmlValue, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";
import type { MergeRow } from "./merge-rows.ts";

/** One of the two records, as the page names and links it. */
export interface MergeParty {
  id: number;
  name: string;
  href: string;
  tags: string[];
}

export interface MergePageProps {
  ctx: PageContext;
  nav: NavKey;
  /** "contact" or "company". */
  noun: string;
  survivor: MergeParty;
  duplicate: MergeParty;
  rows: MergeRow[];
  /** The side each row's radio starts on, by row key. */
  choices: Record<string, MergeSide>;
  /** What moves from the duplicate to the survivor. */
  /** What moves to the survivor, pushed events included (they move with a contact). */
  moved: LinkedCounts;
  /** Where the form posts. */
  action: string;
  /** The same comparison with the two records' roles swapped. */
  swapHref: string;
  /** Why the last attempt was refused (a 422), each by field. */
  errors: FieldIssue[];
}

const isBlank = (v: HtmlValue) =>
  v === null || v === undefined || v === "" || (v instanceof Html && !v.value);

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** "2 deals, 1 note and 5 timeline entries", leaving out what there is none of ("" for nothing). */
function movedText(m: LinkedCounts): string {
  const parts = [
    m.people ? plural(m.people, "person", "people") : "",
    m.deals ? plural(m.deals, "deal", "deals") : "",
    m.notes ? plural(m.notes, "note", "notes") : "",
    m.tasks ? plural(m.tasks, "task", "tasks") : "",
    m.interactions ? plural(m.interactions, "timeline entry", "timeline entries") : "",
    m.pushedEvents ? plural(m.pushedEvents, "pushed event", "pushed events") : "",
  ].filter(Boolean);
  if (parts.length === 0) return "";
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

/** The error of a row, by its key (`keep.<key>` in the issues; tags have their own row). */
function errorOf(errors: FieldIssue[], key: string): string | undefined {
  return errors.find((e) => e.field === `keep.${key}` || e.field === key)?.message;
}

function choice(row: MergeRow, side: MergeSide, party: MergeParty, checked: boolean): Html {
  const value = row[side];
  return html`<label><input type="radio" name="keep.${row.key}" value="${side}"${checked ? html` checked` : ""}>
<span class="visually-hidden">${row.label} of ${party.name}:</span> ${isBlank(value) ? html`<span class="muted">—</span>` : value}</label>`;
}

function fieldRow(p: MergePageProps, row: MergeRow): Html {
  const error = errorOf(p.errors, row.key);
  const kept = p.choices[row.key] ?? "survivor";
  return html`<tr${error ? html` class="invalid"` : ""}><th scope="row">${row.label}${error ? html`<br><small class="field-error">${error}</small>` : ""}</th>
<td>${choice(row, "survivor", p.survivor, kept === "survivor")}</td>
<td>${choice(row, "duplicate", p.duplicate, kept === "duplicate")}</td></tr>`;
}

function tagsRow(p: MergePageProps): Html {
  const error = errorOf(p.errors, "tags");
  const list = (tags: string[]) => (tags.length ? tags.join(", ") : html`<span class="muted">—</span>`);
  return html`<tr><th scope="row">Tags${error ? html`<br><small class="field-error">${error}</small>` : ""}</th>
<td>${list(p.survivor.tags)}</td><td>${list(p.duplicate.tags)} <span class="hint">(both kept)</span></td></tr>`;
}

const FIELD_LABELS: Record<string, string> = { duplicateId: "Duplicate" };

/** Problems not shown on a row (the duplicate itself, a field the form does not have). */
function otherErrors(p: MergePageProps): Html {
  const keys = new Set(["tags", ...p.rows.flatMap((r) => [r.key, `keep.${r.key}`])]);
  const other = p.errors.filter((e) => !keys.has(e.field));
  if (!other.length) return html``;
  return html`<ul class="form-errors" role="alert">${other.map((e) => html`<li>${FIELD_LABELS[e.field] ?? e.field}: ${e.message}</li>`)}</ul>`;
}

/**
 * Two records side by side, a radio per field to pick the value the merged record keeps, and
 * a Merge button: a plain form POST, no JavaScript needed.
 */
export function mergePage(p: MergePageProps): Html {
  const { survivor: s, duplicate: d } = p;
  const moved = movedText(p.moved);
  return page(p.ctx, {
    title: `Merge ${d.name} into ${s.name}`,
    nav: p.nav,
    body: html`<section class="record-form merge">
<h1>Merge <a href="${d.href}">${d.name}</a> into <a href="${s.href}">${s.name}</a></h1>
<p>Pick the value to keep for each field; the tags of both are kept. ${s.name} stays: everything linked to ${d.name}${moved ? ` (${moved})` : ""} moves to it, then ${d.name} is deleted. This cannot be undone.</p>
<p class="hint"><a href="${p.swapHref}">Keep ${d.name} instead, and merge ${s.name} into it</a></p>
<form method="post" action="${p.action}" novalidate>${csrfField(p.ctx.csrfToken)}
<input type="hidden" name="with" value="${d.id}">
${otherErrors(p)}
<table class="list merge-fields">
<thead><tr><th scope="col">Field</th><th scope="col">${s.name} <span class="hint">(this ${p.noun}, stays)</span></th><th scope="col">${d.name} <span class="hint">(duplicate, deleted)</span></th></tr></thead>
<tbody>
${join(p.rows.map((row) => fieldRow(p, row)))}
${tagsRow(p)}
</tbody>
</table>
<div class="form-actions"><button type="submit">Merge</button><a href="${s.href}">Cancel</a></div>
</form>
</section>`,
  });
}
