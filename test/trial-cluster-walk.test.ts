/**
 * README "Several hosts" followed literally on one machine: scripts/cluster-up says how to point
 * the `crm cluster …` commands at its placement file (it is under no host's --data, so their
 * default, <data>/cluster.json, misses it), the printed command works, and scripts/cluster-down
 * leaves no process behind.
 */
import { afterAll, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "./support/run-command.ts";
import { tempDir } from "./support/temp-dir.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = join(ROOT, "src/cli.ts");
const dir = tempDir("crm-walk-");
const cluster = dir.path; // its own mkdtemp folder: cluster-up opens it for nginx (nobody)

afterAll(async () => {
  await runCommand([join(ROOT, "scripts/cluster-down"), "--dir", cluster]);
  dir.remove();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("cluster-up prints the CRM_CLUSTER_FILE the crm cluster commands need; cluster-down stops it all", async () => {
  const up = await runCommand([join(ROOT, "scripts/cluster-up"), "--dir", cluster, "--hosts", "1"]);
  expect(up.code).toBe(0);
  const placement = join(cluster, "cluster.json");
  expect(up.stdout).toContain(`export CRM_CLUSTER_FILE=${placement}`);
  const state = JSON.parse(readFileSync(join(cluster, "cluster-state.json"), "utf8"));
  const pids: number[] = [state.nginx.pid, ...state.hosts.map((h: { pid: number }) => h.pid)];
  // Without it, `crm cluster show` run from the checkout looks for ./data/cluster.json.
  const show = await runCommand([process.execPath, CLI, "cluster", "show"], {
    cwd: dir.path,
    env: { ...process.env, CRM_CLUSTER_FILE: placement },
  });
  expect(show.code).toBe(0);
  expect(show.stdout).toContain("1 host(s)");
  const down = await runCommand([join(ROOT, "scripts/cluster-down"), "--dir", cluster]);
  expect(down.code).toBe(0);
  expect(pids.filter(alive)).toEqual([]);
}, 60_000);

it("cluster-up started again after crm cluster hosts remove starts the hosts the file lists", async () => {
  const again = tempDir("crm-walk-again-");
  const up = () => runCommand([join(ROOT, "scripts/cluster-up"), "--dir", again.path]);
  const down = () => runCommand([join(ROOT, "scripts/cluster-down"), "--dir", again.path]);
  try {
    expect((await up()).code).toBe(0);
    const env = { ...process.env, CRM_CLUSTER_FILE: join(again.path, "cluster.json") };
    const removed = await runCommand([process.execPath, CLI, "cluster", "hosts", "remove", "b"], { env });
    expect(removed.code).toBe(0);
    expect((await down()).code).toBe(0);
    // Before: b was added back first, asking c (not started yet), and the whole start failed.
    const second = await up();
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("host a:");
    expect(second.stdout).toContain("host c:");
    expect(second.stdout).not.toContain("host b:");
  } finally {
    await down();
    again.remove();
  }
}, 90_000);
