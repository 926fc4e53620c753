import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { isTimeZone } from "../core/time-zone.ts";

/** The browser's time zone (app.js sets the `tz` cookie), if it is a real IANA zone; UTC otherwise. */
export function viewerTimeZone(c: Context): string {
  const zone = getCookie(c, "tz");
  return zone && isTimeZone(zone) ? zone : "UTC";
}
