import { describe, expect, it } from "bun:test";
import { zonedIsoFormatter } from "./zoned-iso.ts";

/** The same instant as Intl writes it in `zone`, with the offset Intl names: the reference. */
const formats = new Map<string, Intl.DateTimeFormat>();
function reference(ms: number, zone: string): string {
  const format =
    formats.get(zone) ??
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "longOffset",
    });
  formats.set(zone, format);
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : String(parts.timeZoneName).slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

describe("zonedIsoFormatter", () => {
  it("writes every instant as Intl does, across clock changes, in zones with odd offsets", () => {
    const zones = [
      "UTC",
      "Europe/Paris",
      "America/New_York",
      "Australia/Lord_Howe",
      "Asia/Kathmandu",
      "America/St_Johns",
    ];
    const wrong: string[] = [];
    for (const zone of zones) {
      const format = zonedIsoFormatter(zone);
      // Through 2026 every 2 hours 13 minutes 7 seconds (both clock changes of each zone, at every minute
      // of the hour in turn), and every 13 minutes across each zone's days of change.
      const instants: number[] = [];
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 7_987_000) instants.push(ms);
      for (const [month, day] of [
        [3, 8],
        [3, 29],
        [3, 5],
        [10, 4],
        [10, 1],
        [10, 25],
      ] as const)
        for (
          let ms = Date.UTC(2026, month - 1, day - 1);
          ms < Date.UTC(2026, month - 1, day + 2);
          ms += 420_000
        )
          instants.push(ms);
      for (const ms of instants) {
        const at = format(ms);
        const expected = reference(ms, zone);
        if (at !== expected) wrong.push(`${zone} ${new Date(ms).toISOString()}: ${at}, not ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("leaves a missing time empty", () => {
    expect(zonedIsoFormatter("Europe/Paris")(null)).toBeNull();
  });
});
