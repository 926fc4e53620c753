import { utcToZoned } from "../../src/core/time-zone.ts";
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
const exact = new Map<string, Intl.DateTimeFormat>();

/** "Wed, Dec 2, 2026, 14:05 PST": the full local time, for the title attribute. */
function exactFormat(zone: string): Intl.DateTimeFormat {
  let f = exact.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    if (exact.size > 500) exact.clear();
    exact.set(zone, f);
  }
  return f;
}

/** The day before `day` ("YYYY-MM-DD"), by the calendar (no zone: a date has none). */
function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** "Dec 2" (this year) or "Dec 2, 2025" of a local "YYYY-MM-DD". */
function shortDay(day: string, thisYear: string): string {
  const [y, m, d] = day.split("-");
  const text = `${MONTHS[Number(m) - 1]} ${Number(d)}`;
  return y === thisYear ? text : `${text}, ${y}`;
}

/**
 * What a time reads as from the viewer's clock: "just now", "12 min ago", "3 h ago" (the same
 * local day), "yesterday, 14:05", then "Dec 2, 14:05" and "Dec 2, 2025, 14:05". A time ahead
 * of the clock (by more than the minute the page is for) reads as its date and time.
 */
export function relativeTime(ms: number, clock: ViewerClock): string {
  const ago = clock.now - ms;
  const at = utcToZoned(ms, clock.zone);
  const today = utcToZoned(clock.now, clock.zone).day;
  if (ago > -60_000 && ago < 60_000) return "just now";
  if (ago > 0 && ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  if (ago > 0 && at.day === today) return `${Math.floor(ago / 3_600_000)} h ago`;
  if (ago > 0 && at.day === dayBefore(today)) return `yesterday, ${at.time}`;
  return `${shortDay(at.day, today.slice(0, 4))}, ${at.time}`;
}

/** The exact local time with its zone's abbreviation ("Wed, Dec 2, 2026, 14:05 PST"). */
export function exactLocalTime(ms: number, zone: string): string {
  return exactFormat(zone).format(ms);
}

/**
 * A time as people read it: relative where that helps, the exact local time on hover (title),
 * and the instant itself for machines (`<time datetime>`, ISO in UTC).
 */
export function localTime(ms: number, clock: ViewerClock): Html {
  return html`<time datetime="${new Date(ms).toISOString()}" title="${exactLocalTime(ms, clock.zone)}">${relativeTime(ms, clock)}</time>`;
}
