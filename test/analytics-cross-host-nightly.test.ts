/**
 * The nightly run on the hosts of a cluster (README "Analytics across hosts"): each host's
 * `crm analytics run --nightly` reads only its own export and writes only its own workspaces,
 * so the three hosts run at the same moment over one shared warehouse without waiting on or
 * clashing with each other, and every workspace ends with what one host holding them all writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  analyticsOf,
  clusterFolders,
  crmOn,
  DAY,
  HOSTS,
  ownerName,
  seedSpread,
  usageOf,
} from "./analytics-cross-host.fixture.ts";
import { crm } from "./analytics-export.fixture.ts";

const { root, solo, shared, dirs } = clusterFolders("crm-analytics-cross-host-nightly-");
const slugs = ["acme", "globex", "initech", "hooli"];
const results: Record<string, { code: number; stdout: string; stderr: string }> = {};

beforeAll(async () => {
  await seedSpread({ root, solo, shared, dirs }, slugs);
  expect((await crm(solo, ["analytics", "run", "--date", DAY])).code).toBe(0);
  await Promise.all(
    HOSTS.map(async (host) => {
      results[host] = await crmOn(dirs[host] as string, host, shared, [
        "analytics",
        "run",
        "--nightly",
        "--date",
        DAY,
      ]);
    }),
  );
}, 60_000);

afterAll(() => root.remove());

describe("the nightly runs of three hosts at once", () => {
  it("all succeed, none waiting for the others' exports", () => {
    for (const host of HOSTS)
      expect({
        host,
        code: results[host]?.code,
        stderr: results[host]?.code ? results[host]?.stderr : "",
      }).toEqual({
        host,
        code: 0,
        stderr: "",
      });
  });

  it("write into each workspace what one host holding them all writes, and each host's usage rows", () => {
    for (const slug of slugs)
      expect({ slug, ...analyticsOf(dirs[ownerName(slug)] as string, slug) }).toEqual({
        slug,
        ...analyticsOf(solo, slug),
      });
    const union = Object.assign({}, ...HOSTS.map((h) => usageOf(dirs[h] as string)));
    expect(union).toEqual(usageOf(solo));
  });

  it("keep each host's DuckDB copy in its own folder: nothing at the shared root but the hosts and results", () => {
    expect(readdirSync(shared).sort()).toEqual(["hosts", "results"]);
    for (const host of HOSTS)
      expect(existsSync(join(shared, "hosts", host, "_runner", "cache.duckdb"))).toBe(true);
  });
});
