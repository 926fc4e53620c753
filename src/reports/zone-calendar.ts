import { utcToZoned, zonedToUtc } from "../core/time-zone.ts";

export const DAY_MS = 86_400_000;

/** A stretch of time over which a zone keeps one offset from UTC. */
export interface ZoneSegment {
  /** The first instant of the stretch. */
  start: number;
  /** Local wall-clock time minus UTC, in ms. */
  offsetMs: number;
}

/** How far `zone` is ahead of UTC at `ms` (zones move by whole minutes). */
function offsetAt(ms: number, zone: string): number {
  const { day, time } = utcToZoned(ms, zone);
  return Date.parse(`${day}T${time}:00Z`) - (ms - (((ms % 60_000) + 60_000) % 60_000));
}

/**
 * The offsets `zone` has between `start` and `end`: a segment per change (daylight saving
 * time, twice a year at most in practice), each change found to the minute. So SQL can turn
 * an instant into a local day with a short CASE over a few constants, one pass over the rows.
 */
export function zoneSegments(start: number, end: number, zone: string): ZoneSegment[] {
  const segments: ZoneSegment[] = [{ start, offsetMs: offsetAt(start, zone) }];
  let previous = start;
  let previousOffset = segments[0]?.offsetMs ?? 0;
  for (let t = Math.min(end, start + DAY_MS); ; t = Math.min(end, t + DAY_MS)) {
    const offset = offsetAt(t, zone);
    if (offset !== previousOffset) {
      // The change lies in (previous, t]: narrow it down to the minute.
      let low = previous;
      let high = t;
      while (high - low > 60_000) {
        const mid = low + Math.floor((high - low) / 2);
        if (offsetAt(mid, zone) === previousOffset) low = mid;
        else high = mid;
      }
      // Zones change on a whole minute, the one in (low, high].
      segments.push({ start: high - (high % 60_000), offsetMs: offset });
      previousOffset = offset;
    }
    previous = t;
    if (t >= end) break;
  }
  return segments;
}

/**
 * SQL for the local day number (days since 1970-01-01 in the zone) of an integer column of
 * epoch milliseconds, over `segments`, with its parameters. `column` is a constant of the
 * caller's (never request text); the instants and offsets are bound.
 */
export function localDaySql(column: string, segments: ZoneSegment[]): { sql: string; params: number[] } {
  const [first, ...rest] = segments;
  if (!first) throw new Error("no zone segment");
  if (rest.length === 0) return { sql: `((${column} + ?) / ${DAY_MS})`, params: [first.offsetMs] };
  let sql = `((${column} + CASE`;
  const params: number[] = [];
  let offset = first.offsetMs;
  for (const segment of rest) {
    sql += ` WHEN ${column} < ? THEN ?`;
    params.push(segment.start, offset);
    offset = segment.offsetMs;
  }
  sql += ` ELSE ? END) / ${DAY_MS})`;
  params.push(offset);
  return { sql, params };
}

/** A local day number as `YYYY-MM-DD`. */
export function dayText(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` as a day number. */
export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

/** The Monday (ISO weeks) starting the week of a day number. 1970-01-01 was a Thursday. */
export function mondayOf(dayNumber: number): number {
  return dayNumber - ((((dayNumber + 3) % 7) + 7) % 7);
}

/** The month `YYYY-MM` of a day number. */
export function monthOf(dayNumber: number): string {
  return dayText(dayNumber).slice(0, 7);
}

/** Every month `YYYY-MM` from `from`'s to `to`'s (days `YYYY-MM-DD`), in order. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let year = Number(from.slice(0, 4));
  let month = Number(from.slice(5, 7));
  const last = to.slice(0, 7);
  for (;;) {
    const key = `${year}-${String(month).padStart(2, "0")}`;
    months.push(key);
    if (key >= last) return months;
    month++;
    if (month === 13) {
      month = 1;
      year++;
    }
  }
}

/** The Mondays (`YYYY-MM-DD`) of every week touching `from` … `to`, in order. */
export function weeksBetween(from: string, to: string): string[] {
  const weeks: string[] = [];
  for (let d = mondayOf(dayNumber(from)); d <= dayNumber(to); d += 7) weeks.push(dayText(d));
  return weeks;
}

/** The instants a range of local days covers in `zone`: from the first day's start to the end of the last (exclusive). */
export function rangeInstants(from: string, to: string, zone: string): { start: number; end: number } {
  return {
    start: zonedToUtc(from, "00:00", zone),
    end: zonedToUtc(dayText(dayNumber(to) + 1), "00:00", zone),
  };
}

/** The local day `ms` falls on in `zone`. */
export function localDay(ms: number, zone: string): string {
  return utcToZoned(ms, zone).day;
}

export interface Quarter {
  /** `2026-Q3`. */
  key: string;
  /** Its first and last days, `YYYY-MM-DD`. */
  from: string;
  to: string;
}

/** The quarter a day is in, and the `n`th after it. */
export function quarterOf(day: string, n = 0): Quarter {
  const index = Number(day.slice(0, 4)) * 4 + Math.floor((Number(day.slice(5, 7)) - 1) / 3) + n;
  const year = Math.floor(index / 4);
  const q = index % 4;
  const first = `${year}-${String(q * 3 + 1).padStart(2, "0")}-01`;
  const nextIndex = index + 1;
  const next = `${Math.floor(nextIndex / 4)}-${String((nextIndex % 4) * 3 + 1).padStart(2, "0")}-01`;
  return { key: `${year}-Q${q + 1}`, from: first, to: dayText(dayNumber(next) - 1) };
}
