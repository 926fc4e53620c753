import type { ChartSpec } from "../reports/chart-spec.ts";
import type { FunnelStage, HeatCell, SegmentCount } from "./insights.ts";

/** The Insights page's drawn charts (each with its data table and CSV), built from the result tables' rows. */

export const WEEKDAYS = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
] as const;

/** A share as a percentage with one decimal, or null when there is nothing to divide by. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

export function rfmSegmentsChart(segments: SegmentCount[]): ChartSpec {
  return {
    id: "rfm-segments",
    title: "Contacts per RFM segment",
    description:
      "How many scored contacts fall in each named segment of recency, frequency and monetary value.",
    kind: "bar",
    unit: "count",
    categories: segments.map((s) => s.segment),
    series: [{ name: "Contacts", values: segments.map((s) => s.contacts) }],
    table: {
      columns: [{ label: "Segment" }, { label: "Contacts", numeric: true }],
      rows: segments.map((s) => [s.segment, s.contacts]),
    },
  };
}

/** One pipeline's funnel for the month: deals that entered each stage, and how many moved on. */
export function funnelChart(
  pipelineId: number,
  pipeline: string,
  month: string,
  stages: FunnelStage[],
): ChartSpec {
  return {
    id: `funnel-${pipelineId}`,
    title: `${pipeline}: funnel for ${month}`,
    description: `Deals of ${pipeline} that entered each stage in ${month}, and how many of them moved on.`,
    kind: "bar",
    unit: "count",
    categories: stages.map((s) => s.stage),
    series: [{ name: "Entered", values: stages.map((s) => s.entered) }],
    table: {
      columns: [
        { label: "Stage" },
        { label: "Entered", numeric: true },
        { label: "Moved on", numeric: true },
        { label: "Conversion %", numeric: true },
        { label: "Median days", numeric: true },
      ],
      // Deals end in a won or lost stage: "moved on" and a conversion mean nothing there (blank, not 0%).
      rows: stages.map((s) =>
        s.kind === "won" || s.kind === "lost"
          ? [s.stage, s.entered, null, null, s.medianDays]
          : [s.stage, s.entered, s.advanced, percent(s.advanced, s.entered), s.medianDays],
      ),
    },
  };
}

/** Interactions per hour of the day (all weekdays together), in the workspace's time zone. */
export function hoursChart(cells: HeatCell[], zone: string): ChartSpec {
  const hours = Array.from({ length: 24 }, () => 0);
  for (const c of cells)
    if (c.hour >= 0 && c.hour < 24) hours[c.hour] = (hours[c.hour] ?? 0) + c.interactions;
  const label = (h: number) => `${String(h).padStart(2, "0")}:00`;
  return {
    id: "heatmap-hours",
    title: "Interactions per hour of the day",
    description: `Interactions logged in each hour of the day, every weekday together, in the workspace's time zone (${zone}).`,
    kind: "bar",
    unit: "count",
    categories: hours.map((_, h) => label(h)),
    series: [{ name: "Interactions", values: hours }],
    table: {
      columns: [{ label: "Hour" }, { label: "Interactions", numeric: true }],
      rows: hours.map((n, h) => [label(h), n]),
    },
  };
}
