import { describe, expect, it } from "bun:test";
import { dayBounds, isTimeZone, isViewerTimeZone, utcToZoned, zonedToUtc } from "./time-zone.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const at = (day: string, time: string, zone: string) => iso(zonedToUtc(day, time, zone));
const hours = (bounds: { start: number; end: number }) => (bounds.end - bounds.start) / 3_600_000;

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

  it("reads local times just after a spring-forward jump and around a fall-back as the instants they name, west of UTC", () => {
    // New York, 2026: 02:00 EST became 03:00 EDT on 8 March (07:00Z); 02:00 EDT became 01:00 EST on 1 November (06:00Z).
    expect(at("2026-03-08", "01:59", "America/New_York")).toBe("2026-03-08T06:59:00.000Z");
    expect(at("2026-03-08", "03:00", "America/New_York")).toBe("2026-03-08T07:00:00.000Z");
    expect(at("2026-03-08", "03:30", "America/New_York")).toBe("2026-03-08T07:30:00.000Z");
    expect(at("2026-11-01", "00:59", "America/New_York")).toBe("2026-11-01T04:59:00.000Z");
    expect(at("2026-11-01", "02:00", "America/New_York")).toBe("2026-11-01T07:00:00.000Z");
    expect(at("2026-11-01", "02:30", "America/New_York")).toBe("2026-11-01T07:30:00.000Z");
    // Santiago, south and west: 00:00 −04 became 01:00 −03 on 6 September (04:00Z).
    expect(at("2026-09-06", "01:30", "America/Santiago")).toBe("2026-09-06T04:30:00.000Z");
    expect(hours(dayBounds(Date.parse("2026-03-08T12:00:00Z"), "America/New_York"))).toBe(23);
    expect(hours(dayBounds(Date.parse("2026-11-01T12:00:00Z"), "America/New_York"))).toBe(25);
  });

  it("reads local times around the jumps south of the equator (Sydney)", () => {
    // 02:00 AEST became 03:00 AEDT on 4 October 2026 (16:00Z the day before); 03:00 AEDT became 02:00 AEST on 5 April.
    expect(at("2026-10-04", "01:59", "Australia/Sydney")).toBe("2026-10-03T15:59:00.000Z");
    expect(at("2026-10-04", "03:30", "Australia/Sydney")).toBe("2026-10-03T16:30:00.000Z");
    expect(at("2026-04-05", "03:30", "Australia/Sydney")).toBe("2026-04-04T17:30:00.000Z");
    const spring = dayBounds(Date.parse("2026-10-04T02:00:00Z"), "Australia/Sydney");
    expect([iso(spring.start), hours(spring)]).toEqual(["2026-10-03T14:00:00.000Z", 23]);
    const autumn = dayBounds(Date.parse("2026-04-05T02:00:00Z"), "Australia/Sydney");
    expect([iso(autumn.start), hours(autumn)]).toEqual(["2026-04-04T13:00:00.000Z", 25]);
  });

  it("takes a local time that happens twice (fall-back) as its first occurrence, whichever side of UTC", () => {
    const twice = [
      ["2026-11-01", "01:30", "America/New_York", "2026-11-01T05:30:00.000Z"], // EDT; 06:30Z is the EST one
      ["2026-10-25", "02:30", "Europe/Berlin", "2026-10-25T00:30:00.000Z"], // CEST; 01:30Z is the CET one
      ["2026-04-05", "02:30", "Australia/Sydney", "2026-04-04T15:30:00.000Z"], // AEDT; 16:30Z is the AEST one
      ["2026-04-04", "23:30", "America/Santiago", "2026-04-05T02:30:00.000Z"], // −03; 03:30Z is the −04 one
    ] as const;
    for (const [day, time, zone, first] of twice) {
      expect([zone, at(day, time, zone)]).toEqual([zone, first]);
      // Both readings show the time that was typed; the one an hour later is the second.
      expect(utcToZoned(Date.parse(first), zone)).toEqual({ day, time });
      expect(utcToZoned(Date.parse(first) + 3_600_000, zone)).toEqual({ day, time });
    }
  });

  it("takes a local time that a spring-forward jump skips as the time after the jump (02:30 is 03:30)", () => {
    const skipped = [
      ["2026-03-08", "02:30", "America/New_York", "2026-03-08T07:30:00.000Z", "03:30"],
      ["2026-03-29", "02:30", "Europe/Berlin", "2026-03-29T01:30:00.000Z", "03:30"],
      ["2026-10-04", "02:30", "Australia/Sydney", "2026-10-03T16:30:00.000Z", "03:30"],
      // Santiago's clocks skip midnight itself: 6 September starts at 01:00.
      ["2026-09-06", "00:00", "America/Santiago", "2026-09-06T04:00:00.000Z", "01:00"],
    ] as const;
    for (const [day, time, zone, instant, shown] of skipped) {
      expect([zone, at(day, time, zone)]).toEqual([zone, instant]);
      expect(utcToZoned(Date.parse(instant), zone)).toEqual({ day, time: shown });
    }
    // So the day before ends when the new one starts: half an hour before Santiago's skipped
    // midnight is still 5 September, inside that day's bounds.
    const lateEvening = Date.parse("2026-09-06T03:30:00Z");
    expect(utcToZoned(lateEvening, "America/Santiago")).toEqual({ day: "2026-09-05", time: "23:30" });
    const eve = dayBounds(lateEvening, "America/Santiago");
    expect([iso(eve.start), iso(eve.end)]).toEqual(["2026-09-05T04:00:00.000Z", "2026-09-06T04:00:00.000Z"]);
    const skippedMidnight = dayBounds(Date.parse("2026-09-06T12:00:00Z"), "America/Santiago");
    expect([iso(skippedMidnight.start), hours(skippedMidnight)]).toEqual(["2026-09-06T04:00:00.000Z", 23]);
  });

  it("puts an instant a millisecond either side of local midnight on the right day", () => {
    const midnight = zonedToUtc("2026-07-02", "00:00", "Pacific/Kiritimati");
    expect(new Date(midnight).toISOString()).toBe("2026-07-01T10:00:00.000Z");
    expect(dayBounds(midnight - 1, "Pacific/Kiritimati").end).toBe(midnight);
    expect(dayBounds(midnight, "Pacific/Kiritimati").start).toBe(midnight);
    expect(utcToZoned(midnight - 1, "Pacific/Kiritimati").day).toBe("2026-07-01");
    expect(utcToZoned(midnight, "Pacific/Kiritimati").day).toBe("2026-07-02");
  });

  it("takes the older names browsers report for a viewer's zone (Chromium's Asia/Calcutta), spelt exactly, and nothing else", () => {
    for (const zone of ["Asia/Calcutta", "Europe/Kiev", "Asia/Saigon", "US/Pacific", "Asia/Kolkata", "UTC"])
      expect([zone, isViewerTimeZone(zone)]).toEqual([zone, true]);
    // The settings' own check stays with the current names.
    expect(isTimeZone("Asia/Calcutta")).toBe(false);
    for (const zone of [
      "asia/calcutta",
      "Asia/calcutta",
      "+05:30",
      "EST5EDT",
      "GMT",
      "Nope/Zone",
      `Asia/${"A".repeat(70)}`,
      "",
    ])
      expect([zone, isViewerTimeZone(zone)]).toEqual([zone, false]);
    // An older name reads the same wall clock as the current one.
    expect(zonedToUtc("2026-12-03", "16:27", "Asia/Calcutta")).toBe(
      zonedToUtc("2026-12-03", "16:27", "Asia/Kolkata"),
    );
  });
});
