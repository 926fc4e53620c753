const ZONES = new Set(Intl.supportedValuesOf("timeZone"));
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `zone` is an IANA time zone this runtime knows (or "UTC"). */
export function isTimeZone(zone: string): boolean {
  return ZONES.has(zone) || zone === "UTC";
}

/** How an old IANA name (a link) is spelt: "Asia/Calcutta", "America/Argentina/ComodRivadavia". */
const LINK_NAME = /^[A-Z][A-Za-z_]*(\/[A-Z][A-Za-z0-9_+-]*){1,2}$/;
/** Names already tried (bounded: what is not a zone comes from cookies anyone can send). */
const links = new Map<string, boolean>();

/**
 * Whether `zone` is a zone a browser may report: one isTimeZone knows, or an older IANA name for
 * one (a link, spelt exactly as the runtime spells it), which Chromium still reports for some
 * places: "Asia/Calcutta" for India, "Europe/Kiev", "Asia/Saigon", "Asia/Katmandu". Refused,
 * those viewers read every time in UTC, and the day and time they type are read in UTC too.
 */
export function isViewerTimeZone(zone: string): boolean {
  if (isTimeZone(zone)) return true;
  if (zone.length > 64 || !LINK_NAME.test(zone)) return false;
  let known = links.get(zone);
  if (known === undefined) {
    try {
      known = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone === zone;
    } catch {
      known = false;
    }
    if (links.size < 1_000) links.set(zone, known);
  }
  return known;
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock fields of `ms` in `zone`. */
function wallClock(
  ms: number,
  zone: string,
): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(ms)) parts[part.type] = Number(part.value);
  const n = (type: string) => parts[type] ?? 0;
  return { y: n("year"), mo: n("month"), d: n("day"), h: n("hour"), mi: n("minute"), s: n("second") };
}

/**
 * Date.UTC with the year kept as given: Date.UTC reads years 0–99 as 1900–1999, so the
 * year 0026 (what typing "26" in a date field's year gives) would become 1926.
 */
function utcOf(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const at = new Date(Date.UTC(2000, mo, d, h, mi, s));
  at.setUTCFullYear(y + (at.getUTCFullYear() - 2000));
  return at.getTime();
}

/** How far `zone` is ahead of UTC at `ms`, in ms. */
export function offsetAt(ms: number, zone: string): number {
  const w = wallClock(ms, zone);
  return utcOf(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a local date and time ("2026-03-01", "09:30") denotes in `zone`. A time that
 * falls back and happens twice means the first of the two; a time a spring-forward jump skips
 * means the instant after the jump (02:30 is 03:30), as JavaScript's Temporal does by default.
 */
export function zonedToUtc(day: string, time: string, zone: string): number {
  const [y, mo, d] = day.split("-").map(Number) as [number, number, number];
  const [h, mi] = time.split(":").map(Number) as [number, number];
  const asUtc = utcOf(y, mo - 1, d, h, mi);
  const readsAsAsked = (ms: number) => offsetAt(ms, zone) === asUtc - ms;
  // Two passes settle DST edges: the offset at the guess, then at the corrected instant.
  const first = asUtc - offsetAt(asUtc, zone);
  const second = asUtc - offsetAt(first, zone);
  // A repeated hour's other reading, under the offset from before the change.
  const earlier = asUtc - offsetAt(second - 3 * 3_600_000, zone);
  if (earlier < second && readsAsAsked(earlier)) return earlier;
  if (readsAsAsked(second)) return second;
  // Skipped: the passes found the instants an offset either side of the jump; the later is after it.
  return Math.max(first, second);
}

/** `ms` as "YYYY-MM-DD" and "HH:MM" in `zone`. */
export function utcToZoned(ms: number, zone: string): { day: string; time: string } {
  const w = wallClock(ms, zone);
  const pad = (n: number) => String(n).padStart(2, "0");
  return {
    day: `${String(w.y).padStart(4, "0")}-${pad(w.mo)}-${pad(w.d)}`,
    time: `${pad(w.h)}:${pad(w.mi)}`,
  };
}

const lastDays = new Map<string, { start: number; end: number }>();

/** Start and end (exclusive) of the day containing `ms`, in `zone` (every page asks: the last day per zone is kept). */
export function dayBounds(ms: number, zone: string): { start: number; end: number } {
  const last = lastDays.get(zone);
  if (last && ms >= last.start && ms < last.end) return last;
  const bounds = computeDayBounds(ms, zone);
  if (lastDays.size > 500) lastDays.clear();
  lastDays.set(zone, bounds);
  return bounds;
}

function computeDayBounds(ms: number, zone: string): { start: number; end: number } {
  const { day } = utcToZoned(ms, zone);
  const start = zonedToUtc(day, "00:00", zone);
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { start, end: zonedToUtc(next, "00:00", zone) };
}
