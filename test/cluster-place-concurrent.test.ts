/**
 * Two `crm cluster place` at once on one placement file: each reads the file, asks the host it
 * names (tens of ms), then writes the next version. Every command that says it placed a tenant
 * must find its override in the file afterwards; a command that lost the race must say so and
 * exit non-zero rather than report a change another command's write then erased.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ownerOf } from "../src/cluster/placement.ts";
import { readPlacement } from "../src/cluster/placement-file.ts";
import { signUp, startCluster, type TestCluster } from "./support/cluster.ts";
import { runCommand } from "./support/run-command.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const SLUGS = Array.from({ length: 6 }, (_, i) => `race-${i}`);

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(2);
  for (const slug of SLUGS) expect((await signUp(cluster.front, slug)).response.status).toBe(303);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

it("never reports a placement that a concurrent one then overwrote", async () => {
  const file = join(cluster.dir, "race.json");
  copyFileSync(cluster.placementFile, file);
  const before = readPlacement(file);
  // Each pinned to the host that holds it, so each command's question to its host says yes.
  const runs = await Promise.all(
    SLUGS.map((slug) =>
      runCommand([
        process.execPath,
        CLI,
        "cluster",
        "place",
        slug,
        ownerOf(before, slug)?.name as string,
        "--cluster",
        file,
      ]),
    ),
  );
  const after = readPlacement(file);
  const placed = SLUGS.filter((_, i) => runs[i]?.code === 0);
  expect(placed.length).toBeGreaterThan(0);
  for (const slug of placed)
    expect(`${slug}: ${after.overrides[slug]}`).toBe(`${slug}: ${ownerOf(before, slug)?.name}`);
  // The versions count the changes that stuck: one each.
  expect(after.version).toBe(before.version + placed.length);
  for (const [i, run] of runs.entries())
    if (run.code !== 0) expect(`${SLUGS[i]}: ${run.stderr}`).toContain("changed while");
  // No temporary or lock file left beside it.
  expect(readdirSync(cluster.dir).filter((name) => name.startsWith("race.json"))).toEqual(["race.json"]);
});
