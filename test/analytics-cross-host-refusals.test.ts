/**
 * What analytics across hosts refuses (README "Analytics across hosts"), with the real commands:
 * a union run while a host's export is missing or not one computes nothing and names the host;
 * an apply without a cluster, without results, or with a damaged or another host's results
 * file writes nothing; a host whose name the placement does not know is told so.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pack, unpack } from "msgpackr";
import {
  analyticsOf,
  changeCounter,
  clusterFolders,
  crmOn,
  DAY,
  HOSTS,
  ownerName,
  seed,
  WORKSPACES,
} from "./analytics-cross-host.fixture.ts";
import { crm } from "./analytics-export.fixture.ts";

const { root, shared, dirs } = clusterFolders("crm-analytics-cross-host-refusals-");
/** One workspace per host. */
const mine = Object.fromEntries(
  HOSTS.map((h) => [h, WORKSPACES.find((w) => ownerName(w.slug) === h)?.slug as string]),
) as Record<string, string>;
const run = (host: string, args: string[] = []) =>
  crmOn(dirs[host] as string, host, shared, ["analytics", "run", "--date", DAY, ...args]);
const apply = (host: string) => crmOn(dirs[host] as string, host, shared, ["analytics", "apply"]);

beforeAll(async () => {
  for (const host of HOSTS) await seed(dirs[host] as string, [mine[host] as string]);
  for (const host of ["a", "b"])
    expect((await crmOn(dirs[host] as string, host, shared, ["analytics", "export"])).code).toBe(0);
}, 60_000);

afterAll(() => root.remove());

describe("a union run", () => {
  it("computes nothing while a host of the placement has not exported, and names it", async () => {
    const before = changeCounter(dirs.a as string, mine.a as string);
    const result = await run("a");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no export from host c in ${join(shared, "hosts", "c")}`);
    expect(result.stderr).toContain("run crm analytics export on c");
    expect(result.stderr).toContain("nothing was computed");
    expect(existsSync(join(shared, "results"))).toBe(false);
    expect(analyticsOf(dirs.a as string, mine.a as string).freshness).toEqual([]);
    expect(changeCounter(dirs.a as string, mine.a as string)).toBe(before);
    const status = await crmOn(dirs.a as string, "a", shared, ["analytics", "status"]);
    expect(status.stdout).toContain("failed");
  });

  it("refuses a host's export record that is not one (a workspace id that could name a path)", async () => {
    const record = join(shared, "hosts", "c", "_state", "host.json");
    expect((await crmOn(dirs.c as string, "c", shared, ["analytics", "export"])).code).toBe(0);
    const saved = `${record}.saved`;
    copyFileSync(record, saved);
    const parsed = JSON.parse(await Bun.file(record).text());
    parsed.tenants["../../etc"] = { slug: "evil", bytes: 1 };
    writeFileSync(record, JSON.stringify(parsed));
    const result = await run("a", ["--skip-export"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${record} is not a host export record`);
    expect(existsSync(join(shared, "results"))).toBe(false);
    copyFileSync(saved, record);
  });

  it("succeeds once every host has exported, and each host applies only its own", async () => {
    const result = await run("a", ["--skip-export"]);
    expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({
      code: 0,
      stderr: "",
    });
    expect(analyticsOf(dirs.a as string, mine.a as string).freshness).toHaveLength(5);
    expect(analyticsOf(dirs.b as string, mine.b as string).freshness).toEqual([]);
    const applied = await apply("b");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("1 workspaces written");
    expect(analyticsOf(dirs.b as string, mine.b as string).freshness).toHaveLength(5);
  });
});

describe("crm analytics apply", () => {
  it("never puts an earlier day's results over a later day's", async () => {
    const before = analyticsOf(dirs.b as string, mine.b as string);
    const earlier = await run("a", ["--skip-export", "--date", "2026-01-19"]);
    expect(earlier.stdout).toContain(`workspace ${mine.a} not applied: it holds newer results (for ${DAY})`);
    const applied = await apply("b");
    expect(applied.stdout).toContain(`workspace ${mine.b} not applied: it holds newer results (for ${DAY})`);
    expect(applied.stdout).toContain("0 workspaces written");
    expect(analyticsOf(dirs.b as string, mine.b as string)).toEqual(before);
  });

  it("refuses a damaged results file or another host's, writing nothing", async () => {
    const file = join(shared, "results", "c.msgpack");
    const before = changeCounter(dirs.c as string, mine.c as string);
    writeFileSync(file, Buffer.from([0xc1, 0xff, 0x00, 0x13]));
    const damaged = await apply("c");
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toContain(`${file} `);
    copyFileSync(join(shared, "results", "b.msgpack"), file);
    const other = await apply("c");
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`${file} is not a results file for host c`);
    // Its own name, but a job no write-back knows in a workspace's entry.
    const forged = unpack(readFileSync(join(shared, "results", "b.msgpack")));
    forged.host = "c";
    forged.tenants[0].rows[0].job = "rfm; DROP TABLE contacts";
    writeFileSync(file, pack(forged));
    const hostile = await apply("c");
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).toContain(`${file} is not a results file for host c`);
    expect(changeCounter(dirs.c as string, mine.c as string)).toBe(before);
    expect(analyticsOf(dirs.c as string, mine.c as string).freshness).toEqual([]);
  });

  it("refuses with no results yet, with no cluster, and for a host the placement does not know", async () => {
    const empty = join(root.path, "empty-shared");
    const none = await crmOn(dirs.b as string, "b", empty, ["analytics", "apply"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no results for host b");
    const alone = join(root.path, "alone");
    await seed(alone, [mine.a as string]);
    const single = await crm(alone, ["analytics", "apply"]);
    expect(single.code).toBe(2);
    expect(single.stderr).toContain("no placement file");
    const thisHost = await crm(alone, ["analytics", "run", "--this-host", "--date", DAY]);
    expect(thisHost.code).toBe(2);
    expect(thisHost.stderr).toContain("--this-host is for a host of a cluster");
    const stranger = await crmOn(dirs.a as string, "zed", shared, ["analytics", "apply"]);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('CRM_HOST_NAME "zed" is not a host of the placement file');
    const nameless = await crm(dirs.a as string, ["analytics", "export"], { CRM_WAREHOUSE_DIR: shared });
    expect(nameless.code).toBe(2);
    expect(nameless.stderr).toContain("CRM_HOST_NAME must name this host");
  });
});
