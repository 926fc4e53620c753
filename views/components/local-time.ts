import { zoneReading } from "../../src/core/zone-offsets.ts";
import { type Html, html } from "../html.ts";

/**
 * Whose clock a page's times are read on: the viewer's time zone (the `tz` cookie) and the
 * instant the page is for. `now` is the start of the minute the page is rendered in (what its
 * cache entry and ETag are keyed on), never the request's exact time, so a cached or
 * revalidated page says the same "5 min ago" as a fresh render of that minute.
 */
export interface ViewerClock {
  zone: string;
  now: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** The wall clock of `ms` in `zone`, with the zone's short name then. */
function wall(ms: number, zone: string) {
  const reading = zoneReading(ms, zone);
  const local = new Date(Math.floor(ms / 60_000) * 60_000 + reading.offset);
  const pad = (n: number) => String(n).padStart(2, "0");
  return {
    day: local.toISOString().slice(0, 10),
    time: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`,
    year: local.getUTCFullYear(),
    month: local.getUTCMonth(),
    date: local.getUTCDate(),
    weekday: local.getUTCDay(),
    zoneName: reading.name,
  };
}

/** The day before `day` ("YYYY-MM-DD"), by the calendar (no zone: a date has none). */
function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

let lastClock: { zone: string; now: number; today: ReturnType<typeof wall>; yesterday: string } | undefined;

/** The clock's today and yesterday (a page asks for every time it shows: the last clock is kept). */
function clockDays(clock: ViewerClock) {
  if (lastClock?.zone !== clock.zone || lastClock.now !== clock.now) {
    const today = wall(clock.now, clock.zone);
    lastClock = { zone: clock.zone, now: clock.now, today, yesterday: dayBefore(today.day) };
  }
  return lastClock;
}

/**
 * What a time reads as from the viewer's clock: "just now", "12 min ago", "3 h ago" (the same
 * local day), "yesterday, 14:05", then "Dec 2, 14:05" and "Dec 2, 2025, 14:05". A time ahead
 * of the clock (by more than the minute the page is for) reads as its date and time.
 */
export function relativeTime(ms: number, clock: ViewerClock): string {
  const ago = clock.now - ms;
  if (ago > -60_000 && ago < 60_000) return "just now";
  if (ago > 0 && ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  const at = wall(ms, clock.zone);
  const { today, yesterday } = clockDays(clock);
  if (ago > 0 && at.day === today.day) return `${Math.floor(ago / 3_600_000)} h ago`;
  if (ago > 0 && at.day === yesterday) return `yesterday, ${at.time}`;
  const date = `${MONTHS[at.month]} ${at.date}`;
  return at.year === today.year ? `${date}, ${at.time}` : `${date}, ${at.year}, ${at.time}`;
}

/** The exact local time with its zone's short name ("Wed, Dec 2, 2026, 14:05 PST"). */
export function exactLocalTime(ms: number, zone: string): string {
  const w = wall(ms, zone);
  return `${WEEKDAYS[w.weekday]}, ${MONTHS[w.month]} ${w.date}, ${w.year}, ${w.time} ${w.zoneName}`;
}

/**
 * A time as people read it: relative where that helps, the exact local time on hover (title),
 * and the instant itself for machines (`<time datetime>`, ISO in UTC).
 */
export function localTime(ms: number, clock: ViewerClock): Html {
  return html`<time datetime="${new Date(ms).toISOString()}" title="${exactLocalTime(ms, clock.zone)}">${relativeTime(ms, clock)}</time>`;
}
