import { afterAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pruneSnapshots } from "./prune-snapshots.ts";
import { listSnapshots, stampOf, stampTime } from "./snapshot-files.ts";

const dir = mkdtempSync(join(tmpdir(), "crm-prune-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse("2026-12-03T12:00:00.000Z");
const DAY = 86_400_000;

function snapshotsAt(slug: string, ages: number[]): void {
  mkdirSync(join(dir, slug), { recursive: true });
  for (const age of ages) {
    const stamp = stampOf(NOW - age * DAY);
    writeFileSync(join(dir, slug, `${stamp}.sqlite.zst`), "");
    writeFileSync(join(dir, slug, `${stamp}.json`), "");
  }
}

describe("snapshot names", () => {
  it("are UTC stamps that read back as the same instant and sort as time does", () => {
    expect(stampOf(NOW)).toBe("20261203T120000.000Z");
    expect(stampTime(stampOf(NOW + 345))).toBe(NOW + 345);
    expect(stampTime("20261203T120000Z")).toBeUndefined();
    expect(stampTime("../../etc/passwd")).toBeUndefined();
  });
});

describe("pruneSnapshots", () => {
  it("deletes snapshots older than keepDays, snapshot and manifest, but never the newest keepMin", () => {
    snapshotsAt("acme", [0.1, 1, 20, 30, 40]);
    const deleted = pruneSnapshots(dir, "acme", { keepDays: 14, keepMin: 3, now: NOW });
    expect(deleted.map((ref) => ref.stamp)).toEqual([stampOf(NOW - 30 * DAY), stampOf(NOW - 40 * DAY)]);
    expect(listSnapshots(dir, "acme").map((ref) => ref.stamp)).toEqual(
      [20, 1, 0.1].map((age) => stampOf(NOW - age * DAY)),
    );
    expect(readdirSync(join(dir, "acme"))).toHaveLength(6);
  });

  it("keeps a stopped host's last snapshots however old, and touches no file it did not write", () => {
    snapshotsAt("old", [100, 200, 300, 400]);
    writeFileSync(join(dir, "old", "notes.txt"), "mine");
    pruneSnapshots(dir, "old", { keepDays: 1, keepMin: 2, now: NOW });
    expect(readdirSync(join(dir, "old")).sort()).toEqual(
      [
        `${stampOf(NOW - 100 * DAY)}.json`,
        `${stampOf(NOW - 100 * DAY)}.sqlite.zst`,
        `${stampOf(NOW - 200 * DAY)}.json`,
        `${stampOf(NOW - 200 * DAY)}.sqlite.zst`,
        "notes.txt",
      ].sort(),
    );
    expect(pruneSnapshots(dir, "../old", { keepDays: 1, keepMin: 0, now: NOW })).toEqual([]);
  });
});
