import { type Html, html } from "../html.ts";

/** A cell of a shaded grid: its value (what decides the shade), what it reads as, a tooltip, a link. */
export interface ShadedCell {
  value: number | null;
  text: string;
  title?: string;
  href?: string;
}

export interface ShadedTableProps {
  id: string;
  caption: string;
  /** The corner's heading (what the rows are) and the columns' headings. */
  corner: string;
  columns: string[];
  rows: { head: string; cells: ShadedCell[] }[];
  /** The value the darkest shade stands for (the largest in the grid, or 100 for percentages). */
  max: number;
}

/** Five steps of one colour (and white for nothing): classes, since the page's CSP allows no style attributes. */
export const SHADE_STYLE = `.shaded td.num{min-width:2.2rem}
.shaded .s1{background:#e8f1f8}.shaded .s2{background:#c6dcee}.shaded .s3{background:#94bde0}
.shaded .s4{background:#5b97cc;color:#fff}.shaded .s5{background:#0072b2;color:#fff}
.shaded .s4 a,.shaded .s5 a{color:#fff}`;

function shade(value: number | null, max: number): string {
  if (value === null || !(value > 0) || !(max > 0)) return "s0";
  return `s${Math.min(5, Math.max(1, Math.ceil((value / max) * 5)))}`;
}

/**
 * A grid whose cells are shaded by value (the RFM grid, the cohort triangle, the activity
 * heatmap): a real table, so it is the chart and its data at once for every reader; each cell
 * also says its value in text.
 */
export function shadedTable(p: ShadedTableProps): Html {
  return html`<div class="table-scroll"><table class="list shaded" id="${p.id}">
<caption>${p.caption}</caption>
<thead><tr><th scope="col">${p.corner}</th>${p.columns.map((c) => html`<th scope="col" class="num">${c}</th>`)}</tr></thead>
<tbody>${p.rows.map(
    (row) =>
      html`<tr><th scope="row">${row.head}</th>${row.cells.map((cell) => {
        const body = cell.href ? html`<a href="${cell.href}">${cell.text}</a>` : cell.text;
        return cell.title
          ? html`<td class="num ${shade(cell.value, p.max)}" title="${cell.title}">${body}</td>`
          : html`<td class="num ${shade(cell.value, p.max)}">${body}</td>`;
      })}</tr>`,
  )}</tbody>
</table></div>`;
}
