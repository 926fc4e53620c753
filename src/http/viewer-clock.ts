import type { Context } from "hono";
import type { ViewerClock } from "../../views/components/local-time.ts";
import type { AppDeps } from "./app-env.ts";
import { viewerTimeZone } from "./viewer-time-zone.ts";

/**
 * The viewer's clock for a page's times: their zone, and the start of the current minute (what
 * record pages' cache keys and every tagged page's ETag already include), so relative times
 * ("5 min ago") are a function of what the cache and the validator are keyed on.
 */
export function viewerClock(c: Context, deps: Pick<AppDeps, "now">, now = deps.now()): ViewerClock {
  return { zone: viewerTimeZone(c), now: Math.floor(now / 60_000) * 60_000 };
}
