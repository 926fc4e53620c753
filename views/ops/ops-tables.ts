import type { RouteLoad, TenantLoadRow } from "../../src/ops/ops-history.ts";
import type { OpsError } from "../../src/ops/ops-sample.ts";
import type { TenantSize } from "../../src/ops/tenant-storage.ts";
import { type Html, html } from "../html.ts";

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const megabytes = (bytes: number) => `${number.format(bytes / 1048576)} MB`;
/** A workspace as the tables name it: its name, then its slug (both as text, escaped). */
const workspace = (slug: string, names: Record<string, string>) =>
  html`${names[slug] || slug} <span class="hint">/t/${slug}</span>`;
const empty = (columns: number, text: string) =>
  html`<tr><td colspan="${columns}" class="hint">${text}</td></tr>`;

export function topTenantsTable(rows: TenantLoadRow[], names: Record<string, string>): Html {
  return html`<table class="ops-table" id="ops-top-tenants"><thead><tr><th>Workspace</th><th class="num">Requests</th><th class="num">Time (s)</th></tr></thead><tbody>${
    rows.length
      ? rows.map(
          (r) =>
            html`<tr><td>${workspace(r.slug, names)}</td><td class="num">${r.requests}</td><td class="num">${number.format(r.seconds)}</td></tr>`,
        )
      : empty(3, "No workspace requests in the last 5 minutes")
  }</tbody></table>`;
}

export function storageTable(rows: TenantSize[], names: Record<string, string>): Html {
  return html`<table class="ops-table" id="ops-storage"><thead><tr><th>Workspace</th><th class="num">File + WAL</th></tr></thead><tbody>${
    rows.length
      ? rows.map(
          (r) =>
            html`<tr><td>${workspace(r.slug, names)}</td><td class="num">${megabytes(r.bytes)}</td></tr>`,
        )
      : empty(2, "No workspaces")
  }</tbody></table>`;
}

export function slowestRoutesTable(rows: RouteLoad[]): Html {
  return html`<table class="ops-table" id="ops-routes"><thead><tr><th>Route</th><th class="num">Requests</th><th class="num">p95 (ms)</th></tr></thead><tbody>${
    rows.length
      ? rows.map(
          (r) =>
            html`<tr><td><code>${r.route}</code></td><td class="num">${r.requests}</td><td class="num">${number.format(r.p95Seconds * 1000)}</td></tr>`,
        )
      : empty(3, "No requests in the last 5 minutes")
  }</tbody></table>`;
}

export function recentErrorsTable(rows: OpsError[]): Html {
  return html`<table class="ops-table" id="ops-errors"><thead><tr><th>Time (UTC)</th><th>Status</th><th>Route</th><th>Workspace</th><th>Request id</th></tr></thead><tbody>${
    rows.length
      ? rows.map(
          (e) =>
            html`<tr><td><time datetime="${new Date(e.at).toISOString()}">${new Date(e.at).toISOString().slice(0, 19).replace("T", " ")}</time></td><td class="num">${e.status}</td><td><code>${e.method} ${e.route}</code></td><td>${e.tenant ?? "—"}</td><td><code>${e.requestId}</code></td></tr>`,
        )
      : empty(5, "No 5xx answers since the processes started")
  }</tbody></table>`;
}
