import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { utcToZoned } from "../core/time-zone.ts";
import {
  DAY_MS,
  dayNumber,
  dayText,
  localDaySql,
  mondayOf,
  monthsBetween,
  quarterOf,
  rangeInstants,
  weeksBetween,
  zoneSegments,
} from "./zone-calendar.ts";

const at = (iso: string) => Date.parse(iso);

describe("the zone calendar reports bucket by", () => {
  it("finds each offset change of a zone to the minute (Berlin's two in 2026), and none in UTC", () => {
    const { start, end } = rangeInstants("2026-01-01", "2026-12-31", "Europe/Berlin");
    expect(zoneSegments(start, end, "Europe/Berlin")).toEqual([
      { start, offsetMs: 3_600_000 },
      { start: at("2026-03-29T01:00:00Z"), offsetMs: 7_200_000 },
      { start: at("2026-10-25T01:00:00Z"), offsetMs: 3_600_000 },
    ]);
    expect(zoneSegments(at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), "UTC")).toHaveLength(1);
    expect(zoneSegments(start, end, "Asia/Kolkata")).toEqual([{ start, offsetMs: 19_800_000 }]);
  });

  it("turns instants into the zone's local day in SQL, the same as Intl does, across both changes", () => {
    const db = new Database(":memory:");
    const wrong: string[] = [];
    let checked = 0;
    for (const zone of ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]) {
      const { start, end } = rangeInstants("2026-01-01", "2026-12-31", zone);
      const day = localDaySql("t", zoneSegments(start, end, zone));
      const query = db.query(`SELECT ${day.sql} AS d FROM (SELECT ? AS t)`);
      // Every 37 minutes through the year: both sides of every change and of every midnight.
      for (let t = start; t < end; t += 37 * 60_000) {
        const got = dayText((query.get(...day.params, t) as { d: number }).d);
        if (got !== utcToZoned(t, zone).day) wrong.push(`${zone} ${new Date(t).toISOString()}: ${got}`);
        checked++;
      }
    }
    db.close();
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(50_000);
  });

  it("lists months, Monday weeks and quarters", () => {
    expect(monthsBetween("2025-11-15", "2026-02-01")).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
    expect(monthsBetween("2026-03-01", "2026-03-31")).toEqual(["2026-03"]);
    expect(weeksBetween("2026-03-04", "2026-03-16")).toEqual(["2026-03-02", "2026-03-09", "2026-03-16"]);
    expect(dayText(mondayOf(dayNumber("2026-03-08")))).toBe("2026-03-02");
    expect(dayText(mondayOf(dayNumber("2026-03-09")))).toBe("2026-03-09");
    expect(quarterOf("2026-02-28")).toEqual({ key: "2026-Q1", from: "2026-01-01", to: "2026-03-31" });
    expect(quarterOf("2026-12-31", 1)).toEqual({ key: "2027-Q1", from: "2027-01-01", to: "2027-03-31" });
    expect(quarterOf("2026-05-01", 1)).toEqual({ key: "2026-Q3", from: "2026-07-01", to: "2026-09-30" });
  });

  it("covers a range of local days from the first one's midnight to the end of the last", () => {
    const { start, end } = rangeInstants("2026-03-01", "2026-03-31", "America/New_York");
    expect(new Date(start).toISOString()).toBe("2026-03-01T05:00:00.000Z");
    expect(new Date(end).toISOString()).toBe("2026-04-01T04:00:00.000Z");
    expect((end - start) / DAY_MS).toBeCloseTo(31 - 1 / 24);
  });
});
