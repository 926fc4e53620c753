/**
 * Benchmark: analytics across hosts (README "Analytics across hosts") against one host holding
 * every workspace, on the same data in the same run, with the real `crm` commands:
 *   single   `crm analytics run --skip-export` on one host holding all the workspaces;
 *   union    `crm analytics run --skip-export` on host a over the three hosts' exports (the
 *            jobs over the union, each host's results file, a's own applied), then
 *            `crm analytics apply` on b and on c (on real hosts they run side by side: the
 *            union's total counts the slower of the two);
 *   own      `crm analytics run --this-host --skip-export` on each host (the nightly run in a
 *            cluster): the slowest host's time.
 * Each round computes later days (so every workspace's numbers change and every file is
 * written; an apply never puts an earlier day over a later one) from a cold DuckDB copy (the runners' folders removed). Medians of `--rounds`, and
 * each as a ratio to the single host. All processes share this machine: the three hosts' work is
 * measured one after the other, as it would not be on three machines.
 *
 * Usage: bun scripts/bench/analytics-cross-host.ts [--tenants N] [--interactions N] [--rounds N] [--data DIR]
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ownerOf, type Placement } from "../../src/cluster/placement.ts";
import { writePlacement } from "../../src/cluster/placement-file.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { copyWorkspaces } from "./copy-workspaces.ts";
import { seedBenchWorkspaces } from "./seed-workspaces.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "60" },
    interactions: { type: "string", default: "5000" },
    rounds: { type: "string", default: "3" },
    data: { type: "string", default: join(tmpdir(), "crm-bench-analytics-cross-host") },
  },
  strict: true,
});
const TENANTS = Number(values.tenants);
const PER_TENANT = Number(values.interactions);
const ROUNDS = Number(values.rounds);
const root = values.data as string;
const solo = join(root, "solo");
const shared = join(root, "shared");
const HOSTS = ["a", "b", "c"];
const CLI = join(import.meta.dir, "../../src/cli.ts");
const ANCHOR = Date.UTC(2026, 10, 1);
const PLACEMENT: Placement = {
  version: 1,
  secret: "bench-secret-".repeat(4),
  hosts: HOSTS.map((name, i) => ({ name, url: `http://127.0.0.1:${9200 + i}` })),
  overrides: {},
};

function crm(dir: string, args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  const proc = Bun.spawnSync([process.execPath, CLI, ...args, "--data", dir], {
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  if (proc.exitCode !== 0)
    throw new Error(`crm ${args.join(" ")} in ${dir} failed: ${proc.stdout}${proc.stderr}`);
  return performance.now() - started;
}
const onHost = (host: string, args: string[]) =>
  crm(join(root, host), args, { CRM_HOST_NAME: host, CRM_WAREHOUSE_DIR: shared });

await seedBenchWorkspaces({ dataDir: solo, tenants: TENANTS, perTenant: PER_TENANT, anchorMs: ANCHOR });
if (!existsSync(join(root, "a"))) {
  const catalog = Catalog.open(solo);
  const slugs = catalog.list().map((t) => t.slug);
  catalog.close();
  for (const host of HOSTS) {
    mkdirSync(join(root, host), { recursive: true });
    writePlacement(join(root, host, "cluster.json"), PLACEMENT);
    copyWorkspaces(
      solo,
      join(root, host),
      slugs.filter((s) => ownerOf(PLACEMENT, s)?.name === host),
    );
  }
}
crm(solo, ["analytics", "export"]);
for (const host of HOSTS) onHost(host, ["analytics", "export"]);

const times: Record<string, number[]> = {
  single: [],
  "union run (a)": [],
  "apply b": [],
  "apply c": [],
  union: [],
  own: [],
};
for (let round = 0; round < ROUNDS; round++) {
  // Days forward: an apply leaves a workspace holding a later day's numbers alone.
  const day = (n: number) => new Date(ANCHOR - (20 - n) * 86_400_000).toISOString().slice(0, 10);
  const date = day(2 * round);
  const run = ["analytics", "run", "--skip-export", "--date", date];
  rmSync(join(solo, "warehouse", "_runner"), { recursive: true, force: true });
  times.single?.push(crm(solo, run));
  rmSync(join(shared, "_runner"), { recursive: true, force: true });
  const unionRun = onHost("a", run);
  const applies = ["b", "c"].map((host) => onHost(host, ["analytics", "apply"]));
  times["union run (a)"]?.push(unionRun);
  times["apply b"]?.push(applies[0] as number);
  times["apply c"]?.push(applies[1] as number);
  times.union?.push(unionRun + Math.max(...applies));
  // The nightly run of each host over its own export, for the day after (every file written).
  const next = day(2 * round + 1);
  const own = HOSTS.map((host) => {
    rmSync(join(shared, "hosts", host, "_runner"), { recursive: true, force: true });
    return onHost(host, ["analytics", "run", "--this-host", "--skip-export", "--date", next]);
  });
  times.own?.push(Math.max(...own));
}

const reference = median(times.single as number[]);
console.log(
  `analytics across hosts: ${TENANTS} workspaces × ${PER_TENANT} interactions, 3 hosts, medians of ${ROUNDS} rounds`,
);
for (const [name, list] of Object.entries(times)) {
  const ms = median(list);
  console.log(
    `${name.padEnd(16)} ${ms.toFixed(0).padStart(7)} ms  ×${(ms / reference).toFixed(2)} of single`,
  );
}
