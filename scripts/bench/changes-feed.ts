/**
 * Benchmark: the changes feed (GET /api/v1/t/<slug>/changes) read from the start over
 * 1,000,000 log entries, as a client catching up would: one request after another with
 * limit=1000, each `after` the previous nextCursor, until the cursor stops moving. One server
 * process (`crm serve`) over a workspace whose log is filled directly in big transactions
 * (a mix of record creates, updates with changes, stage moves, notes, tasks, merges and
 * activities, as the feed carries them).
 * Each round measures, back to back:
 *   http        the feed through the real API (auth, tenant, JSON): entries/s;
 *   readChanges the same pages through readChanges in this process (no HTTP): what the server's
 *               part costs alone;
 *   select      the reference: the same rows read with a plain prepared SELECT by primary key
 *               in pages of 1000 (no mapping, no JSON).
 * Printed: medians over the rounds, the ratios http ÷ select and http ÷ readChanges, the
 * target (≥ 100,000 entries/s over HTTP), and the command.
 *
 * Usage: bun scripts/bench/changes-feed.ts [--data DIR] [--entries N] [--rounds N] [--limit N]
 *   The data directory is made once and reused while it holds the same number of entries.
 */
import "./bench-env.ts";
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApiKey } from "../../src/auth/api-keys.ts";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { readChanges } from "../../src/changes/read-changes.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { spawnServer } from "./bench-server.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-changes") },
    entries: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
    limit: { type: "string", default: "1000" },
  },
  strict: true,
});
const dataDir = values.data as string;
const entries = Number(values.entries);
const rounds = Number(values.rounds);
const limit = Number(values.limit);
const SLUG = "feed-bench";

/** What the log holds, in turn: the kinds and payloads the services write (src/interactions/kinds.ts). */
const MIX: [string, string, (i: number) => object][] = [
  ["contact.created", "contact", () => ({ name: "Bench Person" })],
  [
    "contact.updated",
    "contact",
    (i) => ({ changes: { title: [null, `Title ${i}`], email: ["a@x.test", "b@x.test"] } }),
  ],
  ["company.created", "company", () => ({ name: "Bench Co" })],
  ["deal.created", "deal", () => ({ name: "Bench deal", stage: "Lead" })],
  ["deal.stage_changed", "deal", () => ({ fromStageId: 1, toStageId: 2, from: "Lead", to: "Qualified" })],
  ["note.created", "contact", (i) => ({ noteId: i })],
  ["task.completed", "contact", (i) => ({ taskId: i, title: "Call back" })],
  ["call", "contact", () => ({ summary: "Rang about the renewal", direction: "outbound" })],
  ["contact.merged", "contact", (i) => ({ mergedId: i + 1, name: "Bench Twin" })],
  ["deal.deleted", "deal", () => ({ name: "Bench deal" })],
];

function fill(shard: Shard, count: number): void {
  const insert = shard.statement(
    `INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload)
     VALUES (?, 'user', 1, ?, ?, ?, ?)`,
  );
  const start = Date.now() - count;
  const chunk = 100_000;
  for (let from = 0; from < count; from += chunk) {
    shard.transaction(() => {
      for (let i = from; i < Math.min(count, from + chunk); i++) {
        const [kind, subjectType, payload] = MIX[i % MIX.length] as (typeof MIX)[number];
        insert.run(start + i, kind, subjectType, 1 + (i % 50_000), JSON.stringify(payload(i)));
      }
    });
  }
}

/** The workspace and an API key, made once; the log filled to `entries`. */
async function prepare(): Promise<string> {
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir, maxOpen: 4 });
  try {
    let tenant = catalog.findBySlug(SLUG);
    if (!tenant) {
      const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 1, memoryCostKiB: 4096, timeCost: 1 });
      tenant = (
        await createTenant(catalog, hasher, {
          slug: SLUG,
          name: "Feed bench",
          ownerName: "Owner",
          ownerEmail: "owner@feed-bench.test",
          ownerPassword: "feed bench password",
        })
      ).tenant;
    }
    return await shards.use(tenant, (shard) => {
      const have = (shard.statement("SELECT count(*) AS n FROM interactions").get() as { n: number }).n;
      if (have !== entries) {
        const began = performance.now();
        shard.transaction(() => shard.statement("DELETE FROM interactions").run());
        fill(shard, entries);
        console.log(
          `filled ${entries.toLocaleString("en-US")} entries in ${((performance.now() - began) / 1000).toFixed(1)} s`,
        );
      }
      return createApiKey(shard, { name: "bench", role: "read-only", createdBy: null }).key;
    });
  } finally {
    shards.closeAll();
    catalog.close();
  }
}

/** Reads the whole feed through the API: entries and seconds. */
async function overHttp(
  base: string,
  key: string,
): Promise<{ count: number; seconds: number; requests: number }> {
  const began = performance.now();
  let after = "0";
  let count = 0;
  let requests = 0;
  for (;;) {
    const response = await fetch(`${base}/api/v1/t/${SLUG}/changes?after=${after}&limit=${limit}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    requests++;
    if (response.status !== 200) throw new Error(`GET /changes: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { data: unknown[]; nextCursor: string };
    count += page.data.length;
    if (page.nextCursor === after) break;
    after = page.nextCursor;
  }
  return { count, seconds: (performance.now() - began) / 1000, requests };
}

/** The same pages in this process: through readChanges, or a plain SELECT (the reference). */
function inProcess(shard: Shard, how: "readChanges" | "select"): { count: number; seconds: number } {
  const select = shard.statement(
    `SELECT id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload
     FROM interactions WHERE id > ? ORDER BY id LIMIT ?`,
  );
  const began = performance.now();
  let count = 0;
  let after = 0;
  for (;;) {
    if (how === "select") {
      const rows = select.values(after, limit);
      if (rows.length === 0) break;
      count += rows.length;
      after = Number(rows.at(-1)?.[0]);
    } else {
      const page = readChanges(shard, after, limit);
      count += page.data.length;
      if (Number(page.nextCursor) === after) break;
      after = Number(page.nextCursor);
    }
  }
  return { count, seconds: (performance.now() - began) / 1000 };
}

if (existsSync(dataDir) && !existsSync(join(dataDir, "catalog.sqlite"))) rmSync(dataDir, { recursive: true });
const key = await prepare();
const server = await spawnServer(["src/cli.ts", "serve", "--port", "0", "--data", dataDir]);
const base = String(JSON.parse(server.startLine).url);
const catalog = Catalog.open(dataDir);
const shards = new ShardManager({ dataDir, maxOpen: 4 });
const tenant = catalog.findBySlug(SLUG);
if (!tenant) throw new Error("no bench workspace");
const runs: { http: number; readChanges: number; select: number }[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const http = await overHttp(base, key);
    const direct = await shards.use(tenant, (shard) => inProcess(shard, "readChanges"));
    const plain = await shards.use(tenant, (shard) => inProcess(shard, "select"));
    if (http.count !== entries || direct.count !== entries || plain.count !== entries)
      throw new Error(`read ${http.count} / ${direct.count} / ${plain.count} entries, not ${entries}`);
    const rate = (r: { count: number; seconds: number }) => r.count / r.seconds;
    runs.push({ http: rate(http), readChanges: rate(direct), select: rate(plain) });
    console.log(
      `round ${round + 1}: http ${rate(http).toFixed(0)} entries/s (${http.requests} requests, ${http.seconds.toFixed(2)} s), readChanges ${rate(direct).toFixed(0)}/s, select ${rate(plain).toFixed(0)}/s`,
    );
  }
} finally {
  server.proc.kill();
  await server.proc.exited;
  shards.closeAll();
  catalog.close();
}
const m = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(
  `\nChanges feed from the start over ${entries.toLocaleString("en-US")} entries, limit=${limit}, medians of ${rounds} rounds:`,
);
console.log(`  over HTTP (one server process)   ${fmt(m((r) => r.http))} entries/s   (target ≥ 100,000)`);
console.log(`  readChanges in process           ${fmt(m((r) => r.readChanges))} entries/s`);
console.log(`  plain SELECT in process (ref.)   ${fmt(m((r) => r.select))} entries/s`);
console.log(
  `  http ÷ select ${(m((r) => r.http) / m((r) => r.select)).toFixed(2)}, http ÷ readChanges ${(m((r) => r.http) / m((r) => r.readChanges)).toFixed(2)}`,
);
console.log(
  `\nCommand: bun scripts/bench/changes-feed.ts --entries ${entries} --rounds ${rounds} --limit ${limit}`,
);
