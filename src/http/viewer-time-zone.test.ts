import { describe, expect, it } from "bun:test";
import { Hono } from "hono";
import { viewerTimeZone } from "./viewer-time-zone.ts";

describe("time zones", () => {
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
