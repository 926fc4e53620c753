/**
 * Benchmark: `crm cluster move` of a 100,000-contact workspace between two local hosts (two
 * `crm serve` processes with their own data directories and one placement file), back and forth,
 * while a client writes through the API without pause. Per move: total time, how long writes
 * were refused (freeze → flip, and freeze → the destination taking writes: the target is < 2 s),
 * bytes copied in the copy and the catch-up, writes acknowledged and refused, and the longest
 * event-loop stall of either server during the move (prom-client's max from /metrics;
 * invariant 10: the move's heavy work is in the pool or streamed). Every acknowledged write is checked on the final host at the end.
 *
 * Reference, same run: `VACUUM INTO` of the same file (the snapshot a naive move would copy,
 * with writes frozen for all of it).
 *
 * Usage: bun scripts/bench/tenant-move.ts [--contacts N] [--rounds N]   (npm run bench:move)
 */
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { moveTenant } from "../../src/cluster/move-tenant.ts";
import { ownerOf } from "../../src/cluster/placement.ts";
import { newPlacement, readPlacement, writePlacement } from "../../src/cluster/placement-file.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ROOT, spawnServer } from "./bench-server.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    contacts: { type: "string", default: "100000" },
    rounds: { type: "string", default: "4" },
  },
  strict: true,
});
const contacts = Number(values.contacts);
const rounds = Number(values.rounds);
const SLUG = "big";
const root = mkdtempSync(join(tmpdir(), "crm-bench-move-"));
const placementFile = join(root, "cluster.json");
const dataDir = (host: string) => join(root, host);
const cli = (args: string[], env: Record<string, string> = {}) => {
  const proc = Bun.spawnSync([process.execPath, join(ROOT, "src/cli.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  if (proc.exitCode !== 0) throw new Error(`crm ${args.join(" ")}: ${proc.stderr.toString()}`);
  return proc.stdout.toString().trim();
};

function tenantFile(host: string): string {
  const catalog = Catalog.open(dataDir(host));
  try {
    const tenant = catalog.findBySlug(SLUG);
    if (!tenant) throw new Error(`${SLUG} not on ${host}`);
    return join(dataDir(host), tenant.file);
  } finally {
    catalog.close();
  }
}

/** Every server started, stopped however the run ends (a failed step must not leave hosts running). */
const children: ReturnType<typeof Bun.spawn>[] = [];

async function main() {
  for (const host of ["a", "b", "operator"]) mkdirSync(dataDir(host));
  let started = performance.now();
  cli([
    "tenants",
    "create",
    SLUG,
    "--owner-email",
    "o@big.test",
    "--owner-password",
    "correct horse battery",
    "--data",
    dataDir("a"),
  ]);
  cli(["seed", "--tenant", SLUG, "--contacts", String(contacts), "--data", dataDir("a")]);
  const key = cli(["apikeys", "create", "--tenant", SLUG, "--role", "owner", "--data", dataDir("a")]);
  const fileMb = statSync(tenantFile("a")).size / 1_048_576;
  console.log(
    `seeded ${contacts.toLocaleString("en-US")} contacts (${fileMb.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  // A host joins its cluster at start (the file must list it); their URLs are known once they listen.
  const first = {
    ...newPlacement(),
    hosts: ["a", "b"].map((name) => ({ name, url: "http://127.0.0.1:9" })),
    overrides: { [SLUG]: "a" },
  };
  writePlacement(placementFile, first);
  const servers: Record<string, { proc: ReturnType<typeof Bun.spawn>; url: string }> = {};
  for (const host of ["a", "b"]) {
    const { proc, startLine } = await spawnServer(
      ["src/cli.ts", "serve", "--port", "0", "--data", dataDir(host)],
      {
        CRM_CLUSTER_FILE: placementFile,
        CRM_HOST_NAME: host,
        CRM_PROCS: "1",
        CRM_ANALYTICS_AT: "off",
      },
    );
    children.push(proc);
    servers[host] = { proc, url: (JSON.parse(startLine) as { url: string }).url };
  }
  writePlacement(placementFile, {
    ...first,
    version: first.version + 1,
    hosts: ["a", "b"].map((name) => ({ name, url: servers[name]?.url as string })),
  });
  const ownerUrl = () => ownerOf(readPlacement(placementFile), SLUG)?.url as string;

  // The client writing without pause, where placement says the workspace is.
  const acked: string[] = [];
  let refused = 0;
  let writing = true;
  const writer = (async () => {
    for (let n = 0; writing; n++) {
      const response = await fetch(`${ownerUrl()}/api/v1/t/${SLUG}/contacts`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ firstName: `Bench${n}`, lastName: "Writer" }),
      });
      const body = (await response.json().catch(() => ({}))) as { id?: string };
      if (response.ok && body.id) acked.push(String(body.id));
      else {
        refused++;
        await Bun.sleep(20);
      }
    }
  })();
  // The longest event-loop stall of either host during a move (prom-client's max, which every
  // scrape of /metrics resets): the move's heavy work must stay off the servers' threads.
  const loopLagMs = async () => {
    let worst = 0;
    for (const server of Object.values(servers)) {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const max = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1];
      worst = Math.max(worst, Number(max ?? 0) * 1000);
    }
    return worst;
  };

  const rows: {
    total: number;
    frozen: number;
    toFlip: number;
    copy: number;
    catchUp: number;
    acked: number;
    refused: number;
    health: number;
  }[] = [];
  // The same stall with the writer alone, no move (each of its commits fsyncs on a server's thread).
  await loopLagMs();
  await Bun.sleep(3000);
  const baselineLag = await loopLagMs();
  for (let round = 0; round < rounds; round++) {
    const to = round % 2 === 0 ? "b" : "a";
    const ackedBefore = acked.length;
    const refusedBefore = refused;
    await loopLagMs();
    const lines: string[] = [];
    const report = await moveTenant({
      dataDir: dataDir("operator"),
      clusterFile: placementFile,
      slug: SLUG,
      to,
      say: (line) => lines.push(line),
    });
    const lag = await loopLagMs();
    await Bun.sleep(300);
    rows.push({
      total: report.totalMs,
      frozen: report.frozenMs ?? 0,
      toFlip: report.freezeToFlipMs ?? 0,
      copy: (report.copyBytes ?? 0) / 1_048_576,
      catchUp: (report.catchUpBytes ?? 0) / 1_048_576,
      acked: acked.length - ackedBefore,
      refused: refused - refusedBefore,
      health: lag,
    });
    const r = rows.at(-1) as (typeof rows)[number];
    console.log(
      `move ${round + 1} → ${to}: total ${(r.total / 1000).toFixed(2)} s, writes frozen ${(r.frozen / 1000).toFixed(2)} s (freeze → flip ${(r.toFlip / 1000).toFixed(2)} s), copy ${r.copy.toFixed(1)} MB, catch-up ${r.catchUp.toFixed(2)} MB, ${r.acked} writes acknowledged / ${r.refused} refused during it, longest event-loop stall ${r.health.toFixed(0)} ms`,
    );
    console.log(`  ${lines.find((line) => line.startsWith("caught up")) ?? ""}`);
    await Bun.sleep(1000);
  }
  writing = false;
  await writer;

  // No acknowledged write lost: all of them in the file of the host that has the workspace now.
  const finalHost = ownerOf(readPlacement(placementFile), SLUG)?.name as string;
  const db = new Database(tenantFile(finalHost), { readonly: true });
  const ids = new Set((db.query("SELECT id FROM contacts").values() as [number][]).map((r) => String(r[0])));
  const lost = acked.filter((id) => !ids.has(id)).length;

  // Reference: VACUUM INTO of the same file (what a snapshot-and-copy move would freeze writes for).
  const vacuums: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = join(root, `vacuum-${i}.sqlite`);
    started = performance.now();
    db.run(`VACUUM INTO '${out}'`);
    vacuums.push(performance.now() - started);
    rmSync(out);
  }
  db.close();

  const med = (pick: (r: (typeof rows)[number]) => number) => median(rows.map(pick));
  const vacuum = median(vacuums);
  console.log("");
  console.log(
    `workspace: ${contacts.toLocaleString("en-US")} contacts, ${fileMb.toFixed(1)} MB; ${rounds} moves between two local hosts`,
  );
  console.log(`move, median:          ${(med((r) => r.total) / 1000).toFixed(2)} s total`);
  console.log(
    `writes frozen, median: ${(med((r) => r.frozen) / 1000).toFixed(2)} s (max ${(Math.max(...rows.map((r) => r.frozen)) / 1000).toFixed(2)} s; target < 2 s); freeze → flip ${(med((r) => r.toFlip) / 1000).toFixed(2)} s`,
  );
  console.log(
    `bytes, median:         copy ${med((r) => r.copy).toFixed(1)} MB, catch-up ${med((r) => r.catchUp).toFixed(2)} MB`,
  );
  console.log(
    `longest event-loop stall of either server during a move, median: ${med((r) => r.health).toFixed(0)} ms (3 s of the writer alone: ${baselineLag.toFixed(0)} ms)`,
  );
  console.log(`writes: ${acked.length} acknowledged, ${refused} refused (503 during freezes), ${lost} lost`);
  console.log(`reference VACUUM INTO of the same file, median: ${(vacuum / 1000).toFixed(2)} s`);
  console.log(
    `ratio: writes frozen / VACUUM INTO = ${(med((r) => r.frozen) / vacuum).toFixed(2)}; whole move / VACUUM INTO = ${(med((r) => r.total) / vacuum).toFixed(2)}`,
  );
  for (const server of Object.values(servers)) server.proc.kill("SIGTERM");
  await Promise.all(Object.values(servers).map((s) => s.proc.exited));
  rmSync(root, { recursive: true, force: true });
  if (lost > 0) process.exitCode = 1;
}

try {
  await main();
} finally {
  for (const child of children) child.kill("SIGTERM");
}
