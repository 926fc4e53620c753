import { describe, expect, it } from "bun:test";
import { utcToZoned } from "./time-zone.ts";
import { zoneReading } from "./zone-offsets.ts";

// Zones with daylight saving both ways, half- and quarter-hour offsets, a 30-minute DST shift
// (Lord Howe) and a negative one (Dublin's winter time), and none.
const ZONES = [
  "America/Los_Angeles",
  "Europe/Dublin",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "UTC",
];

describe("zoneReading", () => {
  it("gives the offset Intl gives, at every 37th minute of a year, the days the clocks change included", () => {
    const start = Date.UTC(2026, 0, 1);
    const wrong: string[] = [];
    for (const zone of ZONES) {
      for (let ms = start; ms < start + 366 * 86_400_000; ms += 37 * 60_000) {
        const local = new Date(ms + zoneReading(ms, zone).offset).toISOString();
        const { day, time } = utcToZoned(ms, zone);
        if (local.slice(0, 16) !== `${day}T${time}`) wrong.push(`${zone} ${new Date(ms).toISOString()}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("names the zone as it is called then", () => {
    expect(zoneReading(Date.UTC(2026, 0, 15), "America/Los_Angeles").name).toBe("PST");
    expect(zoneReading(Date.UTC(2026, 6, 15), "America/Los_Angeles").name).toBe("PDT");
    expect(zoneReading(Date.UTC(2026, 6, 15), "Asia/Kolkata").name).toBe("GMT+5:30");
    // The hour after Los Angeles springs forward (10:00 UTC on March 8, 2026), and the one before.
    expect(zoneReading(Date.UTC(2026, 2, 8, 9, 59), "America/Los_Angeles").name).toBe("PST");
    expect(zoneReading(Date.UTC(2026, 2, 8, 10, 0), "America/Los_Angeles").name).toBe("PDT");
  });
});
