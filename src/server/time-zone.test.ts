import { describe, expect, it } from "bun:test";
import { dayBounds, utcToZoned, zonedToUtc } from "./time-zone.ts";

describe("time zones", () => {
  it("converts local wall-clock times to instants and back, across DST", () => {
    expect(new Date(zonedToUtc("2026-07-01", "09:30", "Europe/Berlin")).toISOString()).toBe(
      "2026-07-01T07:30:00.000Z",
    );
    expect(new Date(zonedToUtc("2026-01-15", "09:30", "Europe/Berlin")).toISOString()).toBe(
      "2026-01-15T08:30:00.000Z",
    );
    expect(new Date(zonedToUtc("2026-03-08", "12:00", "America/New_York")).toISOString()).toBe(
      "2026-03-08T16:00:00.000Z",
    );
    expect(utcToZoned(Date.parse("2026-07-01T23:30:00Z"), "Asia/Tokyo")).toEqual({
      day: "2026-07-02",
      time: "08:30",
    });
  });

  it("knows where a day starts and ends in a zone (23 and 25 hour days too)", () => {
    const berlinSpring = dayBounds(Date.parse("2026-03-29T12:00:00Z"), "Europe/Berlin");
    expect(berlinSpring.end - berlinSpring.start).toBe(23 * 3_600_000);
    const utc = dayBounds(Date.parse("2026-05-05T12:00:00Z"), "UTC");
    expect(new Date(utc.start).toISOString()).toBe("2026-05-05T00:00:00.000Z");
  });
});
