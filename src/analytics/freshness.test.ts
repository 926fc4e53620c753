import { describe, expect, it } from "bun:test";
import { freshnessText, notYetText, timeAgo } from "./freshness.ts";

const NOW = Date.UTC(2026, 11, 2, 8, 30);
const MINUTE = 60_000;

describe("how fresh the numbers are", () => {
  it("says when they were computed for and how long ago, in whole units", () => {
    expect(freshnessText({ runDate: "2026-12-01", computedAt: NOW - 6 * 60 * MINUTE }, NOW)).toBe(
      "Computed for 2026-12-01, 6 hours ago",
    );
    expect(timeAgo(NOW - 59_999, NOW)).toBe("just now");
    expect(timeAgo(NOW - MINUTE, NOW)).toBe("1 minute ago");
    expect(timeAgo(NOW - 59 * MINUTE, NOW)).toBe("59 minutes ago");
    expect(timeAgo(NOW - 60 * MINUTE, NOW)).toBe("1 hour ago");
    expect(timeAgo(NOW - 23 * 60 * MINUTE - 59 * MINUTE, NOW)).toBe("23 hours ago");
    expect(timeAgo(NOW - 24 * 60 * MINUTE, NOW)).toBe("1 day ago");
    expect(timeAgo(NOW - 3 * 24 * 60 * MINUTE, NOW)).toBe("3 days ago");
    // A clock a little behind the run's never reads as the future.
    expect(timeAgo(NOW + 5_000, NOW)).toBe("just now");
  });

  it("before any run, says when the nightly run is, or that it is off", () => {
    expect(notYetText("02:30")).toBe(
      "No analytics yet: they are computed nightly at 02:30; an admin can run `crm analytics run`.",
    );
    expect(notYetText(null)).toBe(
      "No analytics yet: the nightly run is turned off on this server; an admin can run `crm analytics run`.",
    );
  });
});
