import { describe, expect, it } from "bun:test";
import { Hono } from "hono";
import { dayBounds, utcToZoned, viewerTimeZone, zonedToUtc } from "./time-zone.ts";

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

  it("puts an instant a millisecond either side of local midnight on the right day", () => {
    const midnight = zonedToUtc("2026-07-02", "00:00", "Pacific/Kiritimati");
    expect(new Date(midnight).toISOString()).toBe("2026-07-01T10:00:00.000Z");
    expect(dayBounds(midnight - 1, "Pacific/Kiritimati").end).toBe(midnight);
    expect(dayBounds(midnight, "Pacific/Kiritimati").start).toBe(midnight);
    expect(utcToZoned(midnight - 1, "Pacific/Kiritimati").day).toBe("2026-07-01");
    expect(utcToZoned(midnight, "Pacific/Kiritimati").day).toBe("2026-07-02");
  });

  it("takes the viewer's zone from the tz cookie only when it is a real zone, else UTC", async () => {
    const app = new Hono().get("/", (c) => c.text(viewerTimeZone(c)));
    const zoneFor = async (cookie?: string) =>
      (await app.request("/", { headers: cookie === undefined ? {} : { cookie } })).text();
    expect(await zoneFor(`tz=${encodeURIComponent("America/Argentina/Buenos_Aires")}`)).toBe(
      "America/Argentina/Buenos_Aires",
    );
    // The zones at both ends of the clock that the tasks test relies on ("+" must survive the cookie).
    expect(await zoneFor(`tz=${encodeURIComponent("Etc/GMT+12")}`)).toBe("Etc/GMT+12");
    expect(await zoneFor(`tz=${encodeURIComponent("Pacific/Kiritimati")}`)).toBe("Pacific/Kiritimati");
    expect(await zoneFor("tz=UTC")).toBe("UTC");
    expect(await zoneFor()).toBe("UTC");
    for (const bad of [
      "Mars/Olympus_Mons",
      "",
      "europe/berlin",
      "../../etc/passwd",
      "+05:00",
      "x".repeat(300),
    ]) {
      expect([bad, await zoneFor(`tz=${encodeURIComponent(bad)}`)]).toEqual([bad, "UTC"]);
    }
  });
});
