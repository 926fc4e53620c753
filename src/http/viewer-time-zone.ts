import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { isViewerTimeZone } from "../core/time-zone.ts";

/**
 * The browser's time zone (app.js sets the `tz` cookie), if it is a real IANA zone or an older
 * name of one (Chromium reports India as "Asia/Calcutta"); UTC otherwise.
 */
export function viewerTimeZone(c: Context): string {
  const zone = getCookie(c, "tz");
  return zone && isViewerTimeZone(zone) ? zone : "UTC";
}
