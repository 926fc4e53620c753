import type { ChartSpec, TableCell } from "../../src/reports/chart-spec.ts";
import { type Html, html } from "../html.ts";

const numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

function cell(value: TableCell, numeric: boolean | undefined): Html {
  const text = value === null ? "–" : typeof value === "number" ? numbers.format(value) : value;
  return numeric ? html`<td class="num">${text}</td>` : html`<td>${text}</td>`;
}

/**
 * The data behind a chart, as a table: what a screen reader reads instead of the picture,
 * and what the CSV download holds. Folded away under its chart (a details element works
 * without JavaScript).
 */
export function dataTable(id: string, spec: ChartSpec): Html {
  const { columns, rows } = spec.table;
  return html`<details class="chart-data">
<summary>Data table: ${spec.title} (${rows.length} row${rows.length === 1 ? "" : "s"})</summary>
<div class="table-scroll"><table class="list" id="${id}-table">
<caption>${spec.title}</caption>
<thead><tr>${columns.map((c) => (c.numeric ? html`<th scope="col" class="num">${c.label}</th>` : html`<th scope="col">${c.label}</th>`))}</tr></thead>
<tbody>${rows.length ? rows.map((row) => html`<tr>${row.map((v, i) => cell(v, columns[i]?.numeric))}</tr>`) : html`<tr><td colspan="${columns.length}">Nothing in this range</td></tr>`}</tbody>
</table></div>
</details>`;
}
