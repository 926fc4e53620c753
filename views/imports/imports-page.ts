import type { ImportView } from "../../src/imports/imports.ts";
import { csrfField, type SelectOption } from "../components/form-field.ts";
import { formatCount, formatDateTime } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface ImportsPageProps {
  ctx: PageContext;
  /** `/t/<slug>` */
  base: string;
  imports: ImportView[];
  /** Members and up upload files; read-only users only look. */
  canImport: boolean;
  kinds: SelectOption[];
  /** The kind the form starts on (`?kind=` from a list's Import link). */
  kind: string;
  /** "128 MB" */
  maxSize: string;
  /** Why the last upload was refused. */
  error?: string;
}

/** What an import's status reads as in lists and on its page. */
export const IMPORT_STATUS_TEXT: Record<string, string> = {
  uploaded: "Waiting for its mapping",
  checked: "Checked, ready to import",
  running: "Importing",
  done: "Imported",
  failed: "Failed: nothing was kept",
  cancelled: "Cancelled: nothing was kept",
  undone: "Undone",
};

function uploadForm(p: ImportsPageProps): Html {
  // The CSRF field comes first: the server checks it before it writes a byte of the file.
  return html`<form method="post" action="${p.base}/imports" enctype="multipart/form-data" class="stacked" id="upload-form">
${csrfField(p.ctx.csrfToken)}
<label class="field" for="import-kind"><span>Import into</span>
<select id="import-kind" name="kind">${p.kinds.map((k) =>
    k.value === p.kind
      ? html`<option value="${k.value}" selected>${k.label}</option>`
      : html`<option value="${k.value}">${k.label}</option>`,
  )}</select></label>
<label class="field${p.error ? " invalid" : ""}" for="import-file"><span>CSV file</span>
<input id="import-file" name="file" type="file" accept=".csv,.txt,.tsv,text/csv,text/plain" required${
    p.error ? html` aria-invalid="true" aria-describedby="import-file-error"` : ""
  }>
${p.error ? html`<small class="field-error" id="import-file-error">${p.error}</small>` : ""}</label>
<p class="hint">Up to ${p.maxSize}. UTF-8 (with or without BOM), UTF-16 or Windows-1252; comma, semicolon, tab or pipe between cells: both are recognised. Headers as HubSpot, Salesforce, Pipedrive, Zoho or Twenty export them are matched to fields; you check the mapping and see a dry run before anything is written.</p>
<div class="form-actions"><button type="submit">Upload and map columns</button></div>
</form>`;
}

function row(base: string, i: ImportView): Html {
  const counts = i.outcome ?? i.checked;
  return html`<tr><td><a href="${base}/imports/${i.id}">${i.fileName}</a></td><td>${i.kind}</td><td>${IMPORT_STATUS_TEXT[i.status] ?? i.status}</td><td class="num">${
    counts ? formatCount(counts.rows) : formatCount(i.sample.estimatedRows)
  }</td><td>${formatDateTime(i.createdAt)}</td></tr>`;
}

/** Imports: a form to upload a CSV file, and the recent imports. */
export function importsPage(p: ImportsPageProps): Html {
  return page(p.ctx, {
    title: "Imports",
    body: html`<div class="page-head"><h1>Imports</h1></div>
${p.canImport ? uploadForm(p) : html`<p class="hint">Your role in this workspace is read-only: you can see imports, not start one.</p>`}
<h2>Recent imports</h2>
${
  p.imports.length
    ? html`<table class="list"><thead><tr><th>File</th><th>Of</th><th>Status</th><th class="num">Rows</th><th>Started</th></tr></thead><tbody>${join(
        p.imports.map((i) => row(p.base, i)),
      )}</tbody></table>`
    : html`<p class="empty">No imports yet.</p>`
}`,
  });
}
