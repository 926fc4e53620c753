import { describe, expect, it } from "bun:test";
import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import { barChart } from "./bar-chart.ts";
import { niceScale, PLOT, svgText } from "./chart-frame.ts";
import { lineChart } from "./line-chart.ts";
import { stackedBarChart } from "./stacked-bar-chart.ts";

const spec = (over: Partial<ChartSpec>): ChartSpec => ({
  id: "c",
  title: "T",
  description: "D",
  kind: "bar",
  unit: "count",
  categories: ["a", "b", "c"],
  series: [{ name: "S", values: [1, 2, 3] }],
  table: { columns: [], rows: [] },
  ...over,
});

const attrs = (svg: string, tag: string, name: string) =>
  [...svg.matchAll(new RegExp(`<${tag} [^>]*\\b${name}="([^"]+)"`, "g"))].map((m) => Number(m[1]));

describe("charts", () => {
  it("puts round ticks on the value axis, from 0 to at least the largest value", () => {
    expect(niceScale(7, "count")).toEqual({ max: 8, ticks: [0, 2, 4, 6, 8] });
    expect(niceScale(1234, "money")).toEqual({ max: 1500, ticks: [0, 500, 1000, 1500] });
    expect(niceScale(3, "count").ticks).toEqual([0, 1, 2, 3]);
    expect(niceScale(0.3, "days").ticks).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceScale(42, "percent")).toEqual({ max: 100, ticks: [0, 25, 50, 75, 100] });
    expect(niceScale(0, "count")).toEqual({ max: 1, ticks: [0, 1] });
  });

  it("draws bars in proportion, none for a null, inside the plot", () => {
    const svg = barChart("b", spec({ series: [{ name: "S", values: [2, null, 4] }] })).value;
    const heights = attrs(svg, "rect", "height");
    expect(heights).toHaveLength(2);
    expect(heights[1]).toBeCloseTo((heights[0] ?? 0) * 2, 0);
    expect(Math.max(...attrs(svg, "rect", "x"))).toBeLessThan(PLOT.right);
  });

  it("stacks each category's series from the bottom, the total as tall as the stacked values", () => {
    const svg = stackedBarChart(
      "s",
      spec({
        series: [
          { name: "A", values: [1, 2, 0] },
          { name: "B", values: [3, 2, 4] },
        ],
      }),
    ).value;
    const heights = attrs(svg, "rect", "height");
    // 5 segments (a zero draws nothing); column 1 (1 + 3) and column 2 (2 + 2) are as tall as column 3 (4).
    expect(heights).toHaveLength(5);
    expect((heights[0] ?? 0) + (heights[1] ?? 0)).toBeCloseTo(heights[4] ?? 0, 0);
    expect((heights[2] ?? 0) + (heights[3] ?? 0)).toBeCloseTo(heights[4] ?? 0, 0);
  });

  it("breaks a line where a value is null and marks every value with a dot", () => {
    const svg = lineChart(
      "l",
      spec({ categories: ["a", "b", "c", "d"], series: [{ name: "S", values: [1, 2, null, 3] }] }),
    ).value;
    const path = /<path d="([^"]+)"/.exec(svg)?.[1] ?? "";
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path.match(/L/g)).toHaveLength(1);
    expect(attrs(svg, "circle", "cx")).toHaveLength(3);
  });

  it("thins the category labels so they never overlap, keeping the first", () => {
    const weeks = Array.from({ length: 52 }, (_, i) => `${(i % 28) + 1} Mar`);
    const svg = barChart(
      "w",
      spec({ categories: weeks, series: [{ name: "S", values: weeks.map(() => 1) }] }),
    ).value;
    const xs = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle">([^<]+)<\/text>/g)].map(
      (m) => Number(m[1]),
    );
    expect(xs.length).toBeGreaterThan(3);
    expect(xs.length).toBeLessThan(12);
    const gaps = xs.slice(1).map((x, i) => x - (xs[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThan(6 * 6.8);
    expect(svg).toContain(">1 Mar</text>");
  });

  it("escapes every label and drops what XML forbids", () => {
    const svg = barChart(
      "x",
      spec({ title: "<b>T</b>", description: "a & b", categories: ['"q"', "<i>", "\u0001z"] }),
    ).value;
    expect(svg).toContain('<title id="x-title">&lt;b&gt;T&lt;/b&gt;</title>');
    expect(svg).toContain("a &amp; b");
    expect(svg).toContain(">&quot;q&quot;</text>");
    expect(svg).not.toContain("<i>");
    expect(svg).not.toContain("\u0001");
    expect(svgText("ok\u0000\u001f\uFFFE\uD800!")).toBe("ok\uFFFD\uFFFD\uFFFD\uFFFD!");
  });
});
