import { offsetAt } from "./time-zone.ts";

/** Offsets change only on quarter hours (every zone's transitions fall on one): one lookup per block. */
const BLOCK_MS = 15 * 60_000;

const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, "0");

/**
 * A formatter of epoch milliseconds as ISO 8601 in `zone`, with its offset, to the second
 * ("2026-12-02T09:05:00+01:00"): what a spreadsheet or any date library reads back as the exact
 * instant, and a person reads as the workspace's wall clock. Exports write a time per row, so
 * the zone's offset (an Intl call, microseconds) is looked up once per quarter hour and kept.
 */
export function zonedIsoFormatter(zone: string): (ms: number | null) => string | null {
  const offsets = new Map<number, number>();
  return (ms) => {
    if (ms === null || !Number.isFinite(ms)) return null;
    const block = Math.floor(ms / BLOCK_MS);
    let offset = offsets.get(block);
    if (offset === undefined) {
      offset = offsetAt(ms, zone);
      if (offsets.size > 100_000) offsets.clear();
      offsets.set(block, offset);
    }
    const wall = new Date(ms + offset).toISOString().slice(0, 19);
    const minutes = offset / 60_000;
    return `${wall}${minutes < 0 ? "-" : "+"}${pad(minutes / 60)}:${pad(minutes % 60)}`;
  };
}
