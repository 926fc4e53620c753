import { offsetAt } from "./time-zone.ts";

const DAY_MS = 86_400_000;

const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, "0");

/**
 * A formatter of epoch milliseconds as ISO 8601 in `zone`, with its offset, to the second
 * ("2026-12-02T09:05:00+01:00"): what a spreadsheet or any date library reads back as the exact
 * instant, and a person reads as the workspace's wall clock. Exports write a time per row, and
 * the zone's offset is an Intl call of several microseconds: it is looked up at both ends of
 * each UTC day and kept, and only on a day whose ends differ (a clock change, twice a year) is
 * each time looked up on its own.
 */
export function zonedIsoFormatter(zone: string): (ms: number | null) => string | null {
  const days = new Map<number, number | null>();
  const offsetOf = (ms: number): number => {
    const day = Math.floor(ms / DAY_MS);
    let offset = days.get(day);
    if (offset === undefined) {
      const start = offsetAt(day * DAY_MS, zone);
      offset = start === offsetAt((day + 1) * DAY_MS - 1, zone) ? start : null;
      if (days.size > 100_000) days.clear();
      days.set(day, offset);
    }
    return offset ?? offsetAt(ms, zone);
  };
  return (ms) => {
    if (ms === null || !Number.isFinite(ms)) return null;
    const offset = offsetOf(ms);
    const wall = new Date(ms + offset).toISOString().slice(0, 19);
    const minutes = offset / 60_000;
    return `${wall}${minutes < 0 ? "-" : "+"}${pad(minutes / 60)}:${pad(minutes % 60)}`;
  };
}
