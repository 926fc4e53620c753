/**
 * Analytics across hosts (issue 13, README "Analytics across hosts"), with the real commands
 * over real files: the same workspaces and events spread over three hosts (each exporting into
 * its own folder of one shared warehouse, one union run on host a, each host applying its own
 * results) end with exactly the analytics a single host holding them all writes, and the same
 * usage rows, each on the host that holds the workspace. A copy of a workspace another host
 * exported before a move is never counted twice. Running and applying again writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ledgerForWorkspace } from "../src/analytics/run-ledger.ts";
import { writePlacement } from "../src/cluster/placement-file.ts";
import { Catalog } from "../src/tenancy/catalog.ts";
import {
  analyticsOf,
  changeCounter,
  clusterFolders,
  crmOn,
  DAY,
  HOSTS,
  ownerName,
  PLACEMENT,
  seedSpread,
  usageOf,
  WORKSPACES,
} from "./analytics-cross-host.fixture.ts";
import { crm } from "./analytics-export.fixture.ts";

const { root, solo, shared, dirs } = clusterFolders("crm-analytics-cross-host-");
const slugs = WORKSPACES.map((w) => w.slug);
/** A workspace host a owns, of which host b also holds a copy (a move under way or not yet retired). */
const COPIED = "hooli";
const outputs: Record<string, string> = {};

async function ok(label: string, result: Promise<{ code: number; stdout: string; stderr: string }>) {
  const { code, stdout, stderr } = await result;
  outputs[label] = stdout;
  expect({ label, code, stderr: code === 0 ? "" : stderr }).toEqual({ label, code: 0, stderr: "" });
  return stdout;
}

beforeAll(async () => {
  expect(ownerName(COPIED)).toBe("a");
  await seedSpread({ root, solo, shared, dirs }, slugs, { b: [COPIED] });
  // One host holding everything: the reference.
  await ok("solo run", crm(solo, ["analytics", "run", "--date", DAY]));
  // Host b exports its copy while placement still gave it b (before the move's flip)…
  writePlacement(join(dirs.b as string, "cluster.json"), {
    ...PLACEMENT,
    overrides: { [COPIED]: "b" },
  });
  await ok("export b", crmOn(dirs.b as string, "b", shared, ["analytics", "export"]));
  writePlacement(join(dirs.b as string, "cluster.json"), PLACEMENT);
  // …then host c exports, and host a runs the union (its own export first).
  await ok("export c", crmOn(dirs.c as string, "c", shared, ["analytics", "export"]));
  await ok("run a", crmOn(dirs.a as string, "a", shared, ["analytics", "run", "--date", DAY]));
  await ok("apply b", crmOn(dirs.b as string, "b", shared, ["analytics", "apply"]));
  await ok("apply c", crmOn(dirs.c as string, "c", shared, ["analytics", "apply"]));
}, 60_000);

afterAll(() => root.remove());

describe("a union run over three hosts", () => {
  it("writes into each workspace, on its owner, exactly what one host holding them all writes", () => {
    for (const slug of slugs) {
      const expected = analyticsOf(solo, slug);
      expect(expected.freshness).toHaveLength(5);
      expect((expected.rfm as unknown[]).length).toBeGreaterThan(0);
      expect({ slug, ...analyticsOf(dirs[ownerName(slug)] as string, slug) }).toEqual({ slug, ...expected });
    }
  });

  it("records the run in each applying host's ledger as one host records its own (Settings → Analytics)", () => {
    const latest = (dir: string) => {
      const catalog = Catalog.open(dir);
      try {
        const [run] = ledgerForWorkspace(catalog, 1);
        return (
          run && {
            runDate: run.runDate,
            trigger: run.trigger,
            status: run.status,
            jobs: run.jobs.map((j) => [j.job, j.status]),
          }
        );
      } finally {
        catalog.close();
      }
    };
    const expected = latest(solo);
    expect(expected?.status).toBe("succeeded");
    for (const host of HOSTS)
      expect({ host, run: latest(dirs[host] as string) }).toEqual({ host, run: expected });
  });

  it("never counts the copy another host exported, and leaves that copy alone", () => {
    expect(analyticsOf(dirs.b as string, COPIED).freshness).toEqual([]);
    expect(outputs["run a"]).not.toContain("not exported");
  });

  it("puts each workspace's usage row in its owner's catalog: together, the single host's table", () => {
    const union = Object.assign({}, ...HOSTS.map((h) => usageOf(dirs[h] as string)));
    expect(union).toEqual(usageOf(solo));
    for (const host of HOSTS)
      expect(Object.keys(usageOf(dirs[host] as string)).sort()).toEqual(
        slugs.filter((s) => ownerName(s) === host).sort(),
      );
  });

  it("keeps every host's files in its own folder of the shared warehouse, and names each host's export", () => {
    expect(readdirSync(join(shared, "hosts")).sort()).toEqual([...HOSTS]);
    expect(readdirSync(join(shared, "results")).sort()).toEqual(HOSTS.map((h) => `${h}.msgpack`));
    for (const host of HOSTS) {
      expect(existsSync(join(shared, "hosts", host, "_state", "manifest.json"))).toBe(true);
      expect(outputs["run a"]).toMatch(new RegExp(`host ${host} exported at \\d{4}-`));
    }
    expect(existsSync(join(dirs.a as string, "warehouse"))).toBe(false);
  });

  it("lets an admin query a workspace's slice on its owner, as on one host, and says where it lives elsewhere", async () => {
    const script = join(root.path, "count.sql");
    await Bun.write(script, "SELECT kind, count(*) AS n FROM interactions GROUP BY kind ORDER BY kind");
    const args = ["analytics", "query", "--tenant", "acme", script, "--format", "json"];
    const single = await crm(solo, args);
    expect(single.code).toBe(0);
    const owner = ownerName("acme");
    const there = await crmOn(dirs[owner] as string, owner, shared, args);
    expect({ code: there.code, stdout: there.stdout }).toEqual({ code: 0, stdout: single.stdout });
    const elsewhere = await crmOn(dirs.b as string, "b", shared, [
      "analytics",
      "query",
      "--tenant",
      COPIED,
      script,
    ]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(`workspace "${COPIED}" is placed on host a: query it there`);
  });

  it("writes nothing when run and applied again with the same numbers", async () => {
    const before = Object.fromEntries(slugs.map((s) => [s, changeCounter(dirs[ownerName(s)] as string, s)]));
    const analytics = Object.fromEntries(slugs.map((s) => [s, analyticsOf(dirs[ownerName(s)] as string, s)]));
    const run = await ok(
      "run a again",
      crmOn(dirs.a as string, "a", shared, ["analytics", "run", "--date", DAY, "--skip-export"]),
    );
    expect(run).toContain("0 workspaces written");
    for (const host of ["b", "c"]) {
      const out = await ok(
        `apply ${host} again`,
        crmOn(dirs[host] as string, host, shared, ["analytics", "apply"]),
      );
      expect(out).toContain("0 workspaces written");
    }
    for (const slug of slugs) {
      expect({ slug, n: changeCounter(dirs[ownerName(slug)] as string, slug) }).toEqual({
        slug,
        n: before[slug] as number,
      });
      expect(analyticsOf(dirs[ownerName(slug)] as string, slug)).toEqual(
        analytics[slug] as Record<string, unknown[]>,
      );
    }
  });
});
