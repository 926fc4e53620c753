import type { ImportCounts, ImportView } from "../../src/imports/imports.ts";
import { type TaskProgressProps, taskProgress } from "../background/task-progress.ts";
import { csrfField, type SelectOption } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";
import { IMPORT_STATUS_TEXT } from "./imports-page.ts";

/** One column of the file on the mapping screen. */
export interface MappingColumn {
  index: number;
  header: string;
  /** Its first few values. */
  samples: string[];
  target: string;
  /** Another column has the same header (the first of them is mapped). */
  sameNameAs?: number;
  error?: string;
}

/** A choice of target in a column's menu, grouped (built-in fields, custom fields). */
export interface TargetOption extends SelectOption {
  group: string;
}

export interface ImportPageProps {
  ctx: PageContext;
  base: string;
  nav?: NavKey;
  record: ImportView;
  /** "contacts" */
  kindPlural: string;
  columns: MappingColumn[];
  targets: TargetOption[];
  encodings: SelectOption[];
  delimiters: SelectOption[];
  dateOrders: SelectOption[];
  /** Problems with the mapping as a whole (a required field not mapped). */
  mappingErrors: string[];
  /** Members and up change it; read-only users only look. */
  canWrite: boolean;
  /** The dry run, run or undo in progress (or the last one), shown with its bar. */
  task?: TaskProgressProps;
  /** A task of this import is queued or running: no other may start. */
  busy: boolean;
}

function option(o: SelectOption, current: string): Html {
  return o.value === current
    ? html`<option value="${o.value}" selected>${o.label}</option>`
    : html`<option value="${o.value}">${o.label}</option>`;
}

function select(
  name: string,
  id: string,
  options: SelectOption[],
  current: string,
  extra: Html | string = "",
): Html {
  return html`<select id="${id}" name="${name}"${extra}>${options.map((o) => option(o, current))}</select>`;
}

function targetSelect(p: ImportPageProps, column: MappingColumn): Html {
  const groups = [...new Set(p.targets.map((t) => t.group))];
  const id = `col-${column.index}`;
  const described = column.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : "";
  return html`<select id="${id}" name="col_${column.index}" aria-label="Import column ${column.header} into"${described}>${join(
    groups.map((group) => {
      const items = p.targets.filter((t) => t.group === group).map((t) => option(t, column.target));
      return group ? html`<optgroup label="${group}">${items}</optgroup>` : items;
    }),
  )}</select>${column.error ? html`<small class="field-error" id="${id}-error">${column.error}</small>` : ""}`;
}

function formatForm(p: ImportPageProps): Html {
  const r = p.record;
  return html`<form method="post" action="${p.base}/imports/${r.id}/format" class="inline-fields">
${csrfField(p.ctx.csrfToken)}
<label class="field" for="import-encoding"><span>Encoding</span>${select("encoding", "import-encoding", p.encodings, r.encoding)}</label>
<label class="field" for="import-delimiter"><span>Cells separated by</span>${select("delimiter", "import-delimiter", p.delimiters, r.delimiter)}</label>
<button type="submit">Read the file again</button>
</form>
<p class="hint" id="encoding-note">Read as ${p.encodings.find((e) => e.value === r.encoding)?.label ?? r.encoding}.${
    r.encoding === "windows-1252"
      ? " The file is not valid UTF-8, so its bytes were read as Windows-1252: if letters in the first values below look wrong (Ã©, Ã¿þ), choose the encoding it was saved in and read it again."
      : ""
  }${r.sample.note ? ` ${r.sample.note}` : ""}</p>`;
}

function mappingForm(p: ImportPageProps): Html {
  const r = p.record;
  const mapping = r.mapping;
  return html`<form method="post" action="${p.base}/imports/${r.id}/mapping" class="stacked" id="mapping-form">
${csrfField(p.ctx.csrfToken)}
${p.mappingErrors.length ? html`<div class="form-errors" role="alert"><ul>${join(p.mappingErrors.map((e) => html`<li>${e}</li>`))}</ul></div>` : ""}
<table class="list mapping"><thead><tr><th>Column</th><th>First values</th><th>Import into</th></tr></thead><tbody>${join(
    p.columns.map(
      (c) =>
        html`<tr><th scope="row">${c.header}${
          c.sameNameAs !== undefined
            ? html`<br><small class="hint">Same name as column ${c.sameNameAs + 1}</small>`
            : ""
        }</th><td>${join(c.samples.filter(Boolean).map((s) => html`<div>${s}</div>`))}</td><td>${targetSelect(p, c)}</td></tr>`,
    ),
  )}</tbody></table>
<label class="field" for="import-dates"><span>Dates</span>${select("dateOrder", "import-dates", p.dateOrders, mapping?.dateOrder ?? "auto")}</label>
<label class="check"><input type="checkbox" name="nullAsEmpty"${mapping?.nullAsEmpty === false ? "" : " checked"}> A cell that says only <code>null</code> is empty</label>
<p class="hint">Rows are matched to ${p.kindPlural} already here: ${
    r.kind === "contact"
      ? "by email, or by first and last name and company when there is no email"
      : r.kind === "company"
        ? "by domain, or else by name"
        : "by title and company"
  }. A match is updated with what differs (tags are added); an empty cell changes nothing.</p>
<div class="form-actions"><button type="submit">${r.checked ? "Check again" : "Check (dry run)"}</button></div>
</form>`;
}

function countsList(c: ImportCounts, planned: boolean): Html {
  const verbs = planned
    ? ["to create", "to update", "to skip", "rejected"]
    : ["created", "updated", "skipped", "rejected"];
  return html`<ul class="plain counts"><li><strong>${formatCount(c.rows)}</strong> rows</li><li><strong>${formatCount(c.created)}</strong> ${verbs[0]}</li><li><strong>${formatCount(c.updated)}</strong> ${verbs[1]}</li><li><strong>${formatCount(c.skipped)}</strong> ${verbs[2]}</li><li><strong>${formatCount(c.rejected)}</strong> ${verbs[3]}</li>${
    c.newCompanies ? html`<li><strong>${formatCount(c.newCompanies)}</strong> new companies</li>` : ""
  }</ul>`;
}

function rejectedRows(p: ImportPageProps, c: ImportCounts): Html {
  if (c.rejected === 0) return html``;
  return html`<h3>Rejected rows</h3>
<table class="list"><thead><tr><th class="num">Row</th><th>Why</th></tr></thead><tbody>${join(
    c.examples.map(
      (e) =>
        html`<tr><td class="num">${e.row}</td><td>${join(e.reasons.map((r) => html`<div>${r}</div>`))}</td></tr>`,
    ),
  )}</tbody></table>
${c.rejected > c.examples.length ? html`<p class="hint">The first ${c.examples.length} of ${formatCount(c.rejected)}.</p>` : ""}
${p.record.reportFile ? html`<p><a class="button" href="${p.base}/imports/${p.record.id}/rejected.csv" download>Download the rejected rows (CSV)</a></p>` : ""}`;
}

function dryRun(p: ImportPageProps): Html {
  const c = p.record.checked;
  if (!c) return html``;
  const writes = c.created + c.updated;
  return html`<section id="dry-run"><h2>Dry run</h2>
${countsList(c, true)}
${rejectedRows(p, c)}
${
  p.canWrite && !p.busy
    ? html`<form method="post" action="${p.base}/imports/${p.record.id}/run" class="inline">${csrfField(p.ctx.csrfToken)}<button type="submit"${writes === 0 ? " disabled" : ""}>Import ${formatCount(writes)} ${p.kindPlural}</button></form> <span class="hint">Runs in the background; you can cancel it, and undo it as a whole afterwards.</span>`
    : ""
}</section>`;
}

function finished(p: ImportPageProps): Html {
  const r = p.record;
  const c = r.outcome;
  const undo = (label: string, note: string) =>
    p.canWrite && !p.busy
      ? html`<a class="button danger" href="${p.base}/imports/${r.id}/undo">${label}</a> <span class="hint">${note}</span>`
      : "";
  switch (r.status) {
    case "done":
      return html`<section id="outcome"><h2>Imported</h2>${c ? countsList(c, false) : ""}${c ? rejectedRows(p, c) : ""}${
        r.hasWrites
          ? undo(
              "Undo this import",
              "Deletes what it created and restores what it changed; records someone worked on since are kept. The next page says how many, before you confirm.",
            )
          : ""
      }</section>`;
    case "failed":
    case "cancelled":
    case "running":
      return r.hasWrites && !p.busy
        ? html`<section id="outcome"><p>The import stopped before it finished and some of what it wrote is still there.</p>${undo("Take it back", "Removes and restores what it wrote, as Undo does.")}</section>`
        : html`<section id="outcome"><p>${
            r.status === "running"
              ? ""
              : r.outcome?.interrupted
                ? "Interrupted; everything it wrote was taken back."
                : "Nothing was changed: everything it wrote was taken back."
          }</p></section>`;
    case "undone":
      return html`<section id="outcome"><p>This import was undone: what it created was deleted and what it changed restored.</p></section>`;
    default:
      return html``;
  }
}

/** One import: the file as read, its mapping and dry run, then its progress, outcome and Undo. */
export function importPage(p: ImportPageProps): Html {
  const r = p.record;
  const editable = p.canWrite && !p.busy && (r.status === "uploaded" || r.status === "checked");
  return page(p.ctx, {
    title: `Import of ${r.fileName}`,
    nav: p.nav,
    body: html`<div class="page-head"><h1>Import of ${r.fileName}</h1><a href="${p.base}/imports">All imports</a></div>
<p class="hint">${formatCount(r.sizeBytes)} bytes of ${p.kindPlural}, about ${formatCount(r.checked?.rows ?? r.sample.estimatedRows)} rows · ${IMPORT_STATUS_TEXT[r.status] ?? r.status}</p>
${p.task ? taskProgress(p.task) : ""}
${editable ? html`${formatForm(p)}${mappingForm(p)}` : ""}
${r.status === "checked" ? dryRun(p) : ""}
${finished(p)}
${
  editable
    ? html`<form method="post" action="${p.base}/imports/${r.id}/discard" class="inline">${csrfField(p.ctx.csrfToken)}<button type="submit" class="link">Discard this file</button></form>`
    : ""
}`,
  });
}
