/**
 * A zone's UTC offset and its short name at an instant, fast enough for every time on a page.
 * Intl's formatToParts costs ~20 µs a call, and a page of 50 timeline entries asked it three
 * times each (~2.5 ms); a zone changes its offset at most once on any UTC day, so the offset
 * found at both ends of a day holds for all of it, and is kept per zone and day.
 */

interface ZoneReading {
  /** How far the zone is ahead of UTC, in ms. */
  offset: number;
  /** Its short name then ("PDT", "GMT+5:30", "UTC"). */
  name: string;
}

const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
/** Per zone, the readings of the UTC days asked about (by day number). */
const days = new Map<string, Map<number, ZoneReading>>();
let kept = 0;

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      timeZoneName: "short",
    });
    if (formatters.size > 500) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's reading at `ms`, asked of Intl. */
function readAt(ms: number, zone: string): ZoneReading {
  const parts: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(ms)) parts[part.type] = part.value;
  const n = (type: string) => Number(parts[type] ?? 0);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return { offset: wall - Math.floor(ms / 1000) * 1000, name: parts.timeZoneName ?? zone };
}

/** `zone`'s offset and short name at `ms`: two Intl calls per zone and UTC day, then a lookup. */
export function zoneReading(ms: number, zone: string): ZoneReading {
  const day = Math.floor(ms / DAY);
  let zoneDays = days.get(zone);
  const known = zoneDays?.get(day);
  if (known) return known;
  const start = readAt(day * DAY, zone);
  const end = readAt(day * DAY + DAY - 1000, zone);
  // The day the clocks change: read each instant itself (rare, and not kept).
  if (start.offset !== end.offset || start.name !== end.name) return readAt(ms, zone);
  if (kept++ > 10_000) {
    days.clear();
    kept = 0;
  }
  if (!zoneDays || !days.has(zone)) {
    zoneDays = new Map();
    days.set(zone, zoneDays);
  }
  zoneDays.set(day, start);
  return start;
}
