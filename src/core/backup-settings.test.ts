import { describe, expect, it } from "bun:test";
import { ConfigError, loadConfig } from "./config.ts";

describe("the backup settings (CRM_BACKUP_*)", () => {
  it("default to a round every 24 hours into <data>/backups, kept 14 days, never fewer than the newest 3", () => {
    expect(loadConfig({ CRM_DATA: "/srv/crm/data" }).backups).toEqual({
      dir: "/srv/crm/data/backups",
      everyHours: 24,
      keepDays: 14,
      keepMin: 3,
    });
    // --data moves the default directory with it; CRM_BACKUP_DIR is taken as given.
    expect(loadConfig({}, { dataDir: "/d" }).backups.dir).toBe("/d/backups");
    expect(loadConfig({ CRM_BACKUP_DIR: "/mnt/shared/crm" }).backups.dir).toBe("/mnt/shared/crm");
  });

  it("take hours with decimals; 0, off or blank turn the schedule off; anything else stops the command naming the setting", () => {
    expect(loadConfig({ CRM_BACKUP_EVERY_HOURS: "0.5" }).backups.everyHours).toBe(0.5);
    for (const off of ["0", "off", "OFF", "", " ", "0.0"])
      expect(loadConfig({ CRM_BACKUP_EVERY_HOURS: off }).backups.everyHours).toBeNull();
    for (const bad of ["-1", "abc", "169", "1e400", "Infinity"])
      expect(() => loadConfig({ CRM_BACKUP_EVERY_HOURS: bad })).toThrow(
        new ConfigError(`CRM_BACKUP_EVERY_HOURS must be hours from 0 to 168 (0 or off: never), got "${bad}"`),
      );
    expect(() => loadConfig({ CRM_BACKUP_KEEP_MIN: "0" })).toThrow(/CRM_BACKUP_KEEP_MIN must be an integer/);
    expect(() => loadConfig({ CRM_BACKUP_KEEP_DAYS: "1.5" })).toThrow(
      /CRM_BACKUP_KEEP_DAYS must be an integer/,
    );
  });
});
