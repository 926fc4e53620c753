import { describe, expect, it } from "bun:test";
import { loggedDayIssue } from "./logged-day.ts";
import { utcToZoned, zonedToUtc } from "./time-zone.ts";

describe("loggedDayIssue", () => {
  it("takes real days from 1900 on and says why it refuses the rest", () => {
    expect(loggedDayIssue("2026-02-28")).toBeUndefined();
    expect(loggedDayIssue("2028-02-29")).toBeUndefined();
    expect(loggedDayIssue("1900-01-01")).toBeUndefined();
    expect(loggedDayIssue("2026-02-30")).toBe("must be a real date");
    expect(loggedDayIssue("2026-13-01")).toBe("must be a real date");
    expect(loggedDayIssue("0026-03-01")).toBe("must be in 1900 or later");
    expect(loggedDayIssue("26-03-01")).toBe("must be a date like 2026-01-31");
  });
});

describe("zonedToUtc for years before 100", () => {
  it("keeps the year as given instead of reading 0026 as 1926", () => {
    const ms = zonedToUtc("0026-03-01", "10:00", "UTC");
    expect(new Date(ms).toISOString()).toBe("0026-03-01T10:00:00.000Z");
    expect(utcToZoned(ms, "UTC")).toEqual({ day: "0026-03-01", time: "10:00" });
  });
});
