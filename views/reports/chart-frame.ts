import type { ChartSpec, ChartUnit } from "../../src/reports/chart-spec.ts";
import { type Html, type HtmlValue, html } from "../html.ts";

/**
 * What every chart shares: the SVG's coordinate system (a viewBox, so it scales to any width,
 * 390 px phones included: no fixed pixel sizes), its title and description for screen
 * readers, the value axis with a few round ticks, and the category labels, thinned so they
 * never overlap. Every label goes through the escaping html tag.
 */

export const WIDTH = 400;
export const HEIGHT = 230;
const LEFT = 46;
const RIGHT = 6;
const TOP = 10;
const BOTTOM = 30;
export const PLOT = { left: LEFT, right: WIDTH - RIGHT, top: TOP, bottom: HEIGHT - BOTTOM };
const FONT = 12;
/** Roughly how wide a character of the labels is, in viewBox units. */
const CHAR = 6.8;
const MAX_LABEL = 12;

/** Okabe–Ito colours (safe for colour-blind readers), without the yellow that vanishes on white. */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#000000"];
/** A forecast: the weighted part strong, the rest of the amount light. */
const FORECAST = ["#0072B2", "#A6CEE3"];

/** The colour of series `i` of `spec`. */
export function seriesColor(spec: ChartSpec, i: number): string {
  const colors =
    spec.series.length === 2 && spec.series[0]?.name === "Weighted forecast" ? FORECAST : PALETTE;
  return colors[i % colors.length] as string;
}

/** Round ticks from 0 to at least `max` (4 or 5 steps of 1, 2, 2.5 or 5 × 10^n). */
export function niceScale(max: number, unit: ChartUnit): { max: number; ticks: number[] } {
  if (unit === "percent" && max <= 100) return { max: 100, ticks: [0, 25, 50, 75, 100] };
  if (!(max > 0)) return { max: 1, ticks: [0, 1] };
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const whole = unit === "count" ? Math.max(1, Math.ceil(step)) : step;
  const top = Math.ceil(max / whole) * whole;
  const ticks: number[] = [];
  for (let t = 0; t <= top + whole / 2; t += whole) ticks.push(Math.round(t * 1e6) / 1e6);
  return { max: top, ticks };
}

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const full = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const moneyFormats = new Map<string, { compact: Intl.NumberFormat; full: Intl.NumberFormat }>();

function moneyFormat(currency: string) {
  let f = moneyFormats.get(currency);
  if (!f) {
    f = {
      compact: new Intl.NumberFormat("en-US", {
        style: "currency",
        currency,
        notation: "compact",
        maximumFractionDigits: 1,
      }),
      full: new Intl.NumberFormat("en-US", { style: "currency", currency }),
    };
    moneyFormats.set(currency, f);
  }
  return f;
}

/** A value as the chart shows it: short on the axis, in full in a bar's or point's tooltip. */
export function formatValue(
  value: number,
  spec: Pick<ChartSpec, "unit" | "currency">,
  short: boolean,
): string {
  if (spec.unit === "money" && spec.currency)
    return moneyFormat(spec.currency)[short ? "compact" : "full"].format(value);
  const text = short ? compact.format(value) : full.format(value);
  if (spec.unit === "percent") return `${text}%`;
  if (spec.unit === "days" && !short) return `${text} day${value === 1 ? "" : "s"}`;
  return text;
}

/** Where a value sits on the y axis. */
export function yOf(value: number, max: number): number {
  return PLOT.bottom - (Math.max(0, value) / max) * (PLOT.bottom - PLOT.top);
}

/** Whether XML forbids a UTF-16 unit even escaped: C0 controls but tab and line breaks, U+FFFE, U+FFFF. */
function notXml(code: number): boolean {
  return (
    (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff
  );
}

/**
 * Text for the SVG: what XML forbids (those characters, lone surrogates) becomes U+FFFD, so
 * the chart stays well-formed XML (a browser's HTML parser would forgive it; an SVG saved on
 * its own would not). The html tag then escapes it like any text.
 */
export function svgText(text: string): string {
  const whole = text.toWellFormed();
  let out = "";
  let from = 0;
  for (let i = 0; i < whole.length; i++) {
    if (!notXml(whole.charCodeAt(i))) continue;
    out += `${whole.slice(from, i)}\uFFFD`;
    from = i + 1;
  }
  return from === 0 ? whole : out + whole.slice(from);
}

const short = (label: string) =>
  svgText(label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label);
const fixed = (n: number) => Math.round(n * 10) / 10;

/** The category labels under the plot: every one that fits, evenly thinned, centred on `centres`. */
function categoryLabels(categories: string[], centres: number[]): Html[] {
  const longest = Math.max(1, ...categories.map((c) => short(c).length));
  const fits = Math.max(1, Math.floor((PLOT.right - PLOT.left) / (longest * CHAR + 8)));
  const every = Math.ceil(categories.length / fits);
  return categories.flatMap((label, i) =>
    i % every === 0
      ? [
          html`<text x="${fixed(centres[i] ?? 0)}" y="${PLOT.bottom + FONT + 5}" text-anchor="middle">${short(label)}</text>`,
        ]
      : [],
  );
}

/**
 * The whole chart: `<svg role="img">` named by its title and described by its description,
 * the value axis (gridlines and ticks), the category labels, and `marks` (bars, lines) drawn
 * by the chart kind. `id` is unique on the page.
 */
export function chartFrame(
  id: string,
  spec: ChartSpec,
  scale: { max: number; ticks: number[] },
  centres: number[],
  marks: HtmlValue,
): Html {
  const empty = spec.series.every((s) => s.values.every((v) => v === null || v === 0));
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" font-size="${FONT}" font-family="system-ui, sans-serif">
<title id="${id}-title">${svgText(spec.title)}</title>
<desc id="${id}-desc">${svgText(spec.description)}</desc>
<g class="axis" fill="#5d6575" aria-hidden="true">${scale.ticks.map(
    (t) =>
      html`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${fixed(yOf(t, scale.max))}" y2="${fixed(yOf(t, scale.max))}" stroke="#e1e4ea"></line><text x="${PLOT.left - 5}" y="${fixed(yOf(t, scale.max) + 4)}" text-anchor="end">${formatValue(t, spec, true)}</text>`,
  )}
${categoryLabels(spec.categories, centres)}</g>
<g class="marks">${marks}</g>
${empty ? html`<text x="${(PLOT.left + PLOT.right) / 2}" y="${(PLOT.top + PLOT.bottom) / 2}" text-anchor="middle" fill="#5d6575">Nothing in this range</text>` : ""}
</svg>`;
}

/** The horizontal band each category gets, and the centre of each. */
export function bands(count: number): { band: number; centres: number[] } {
  const band = (PLOT.right - PLOT.left) / Math.max(1, count);
  return { band, centres: Array.from({ length: count }, (_, i) => PLOT.left + band * (i + 0.5)) };
}

/** Rounded for the markup: a tenth of a unit is finer than any screen shows. */
export { fixed as svgNumber };
