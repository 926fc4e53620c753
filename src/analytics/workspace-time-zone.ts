import { ValidationError } from "../core/errors.ts";
import { isTimeZone } from "../core/time-zone.ts";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * The workspace's time zone (workspace_settings `time_zone`, an IANA name): what the nightly
 * export hands the jobs, so the activity heatmap's weekdays and hours are the workspace's.
 * Absent means UTC.
 */
export function workspaceTimeZone(shard: Shard): string {
  const row = shard.statement("SELECT value FROM workspace_settings WHERE key = 'time_zone'").get() as {
    value: string;
  } | null;
  return row && isTimeZone(row.value) ? row.value : "UTC";
}

/** Sets the workspace's time zone (admins and owners); anything but a known IANA name is a 422 on `timeZone`. */
export function setWorkspaceTimeZone(shard: Shard, actor: Actor, input: { timeZone?: unknown }): string {
  requireRole(actor.role, "admin");
  const zone = typeof input.timeZone === "string" ? input.timeZone.trim() : "";
  if (!zone) throw new ValidationError([{ field: "timeZone", message: "is required" }]);
  if (zone.length > 64 || !isTimeZone(zone))
    throw new ValidationError([
      { field: "timeZone", message: "must be an IANA time zone such as Europe/Paris or America/New_York" },
    ]);
  shard.transaction(() => {
    const before = workspaceTimeZone(shard);
    // The zone the heatmap's numbers are in until the next run: kept from the first change since then.
    if (before !== zone && !pendingZone(shard)) {
      put(shard, "time_zone_before", before);
      put(shard, "time_zone_changed_at", String(Date.now()));
    }
    put(shard, "time_zone", zone);
  });
  return zone;
}

function put(shard: Shard, key: string, value: string): void {
  shard
    .statement(
      "INSERT INTO workspace_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .run(key, value);
}

/** The zone the heatmap was computed in when the time zone changed after its last run, else null. */
function pendingZone(shard: Shard): string | null {
  const get = (key: string) =>
    (
      shard.statement("SELECT value FROM workspace_settings WHERE key = ?").get(key) as {
        value: string;
      } | null
    )?.value;
  const changedAt = Number(get("time_zone_changed_at") ?? Number.NaN);
  const computed = shard
    .statement("SELECT computed_at AS at FROM analytics_freshness WHERE job = 'heatmap'")
    .get() as {
    at: number;
  } | null;
  if (!computed || !Number.isFinite(changedAt) || computed.at >= changedAt) return null;
  const before = get("time_zone_before") ?? "UTC";
  return isTimeZone(before) ? before : "UTC";
}

/**
 * The zone the heatmap's hours are in: the workspace's, or, when it changed after the last run,
 * the one that run read (`next` then names the zone the next run will use).
 */
export function heatmapTimeZone(shard: Shard): { zone: string; next: string | null } {
  const current = workspaceTimeZone(shard);
  const before = pendingZone(shard);
  return before && before !== current ? { zone: before, next: current } : { zone: current, next: null };
}
