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
    shard
      .statement(
        "INSERT INTO workspace_settings (key, value) VALUES ('time_zone', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(zone);
  });
  return zone;
}
