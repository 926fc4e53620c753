/**
 * Benchmark: batch upsert (POST /api/v1/t/<slug>/contacts/batch). One server process (`crm
 * serve`) over a fresh data directory with an empty `bench` workspace; in this process,
 * --clients concurrent clients (default 2) send batches of --batch contacts (default 100, mode
 * upsert by externalId) until --records contacts (default 100,000) are written. Each round:
 *   create     --records new externalIds: every item a create (201);
 *   update     the same externalIds again with a changed title: every item an update (200);
 *   single     the reference: --single contacts (default 2,000) through POST /contacts one by
 *              one, by the same number of clients, with nothing else running;
 *   floor      the file's floor: --records rows of the same columns, --batch rows per plain
 *              multi-row INSERT and one transaction each, in this process, into a bare table
 *              of a file beside the workspace's (WAL, synchronous=FULL, as every workspace): no
 *              HTTP, checks, index, full-text row or log entry, only the commits. No batch
 *              endpoint can beat it;
 * and records/s for each, the ratio batch ÷ single, and the server's main-thread CPU per batch
 * (from /proc: the event-loop time a batch costs every other tenant of the process; ARCHITECTURE
 * invariant 10 wants well under ~20 ms).
 * Printed: medians over --rounds rounds (default 3), and the command.
 *
 * Usage: bun scripts/bench/batch-upsert.ts [--data DIR] [--records N] [--batch N] [--clients N]
 *          [--single N] [--rounds N]
 */
import "./bench-env.ts";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchData } from "./bench-data.ts";
import { benchApiKey, spawnServer } from "./bench-server.ts";
import { cpuSpent, snapshot } from "./thread-cpu.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    records: { type: "string", default: "100000" },
    batch: { type: "string", default: "100" },
    clients: { type: "string", default: "2" },
    single: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
  },
});
const RECORDS = Number(values.records);
const BATCH = Number(values.batch);
const CLIENTS = Number(values.clients);
const SINGLE = Number(values.single);
const ROUNDS = Number(values.rounds);

const dataDir = values.data ?? mkdtempSync(join(tmpdir(), "crm-bench-batch-"));
await benchData(dataDir, 0);
const key = await benchApiKey(dataDir);
const { proc, startLine } = await spawnServer(["src/cli.ts", "serve", "--port", "0", "--data", dataDir]);
const base = (JSON.parse(startLine) as { url: string }).url;
const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };

async function post(path: string, body: unknown, expected: number): Promise<void> {
  const response = await fetch(`${base}/api/v1/t/bench${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 300)}`);
}

/** Runs `jobs` jobs over CLIENTS concurrent clients; returns the seconds it took. */
async function overClients(jobs: number, job: (n: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < jobs) await job(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

/** One pass of batches over `prefix`'s externalIds; records/s and the server's main-thread ms per batch. */
async function batches(prefix: string, title: string) {
  const count = Math.ceil(RECORDS / BATCH);
  const before = snapshot(proc.pid);
  const seconds = await overClients(count, (n) => {
    const items = Array.from({ length: Math.min(BATCH, RECORDS - n * BATCH) }, (_, i) => {
      const k = n * BATCH + i;
      return {
        firstName: `Person ${k}`,
        lastName: prefix,
        email: `p${k}@${prefix}.example`,
        title,
        externalId: `${prefix}-${k}`,
      };
    });
    return post("/contacts/batch", { mode: "upsert", items }, 200);
  });
  const cpu = cpuSpent(proc.pid, before, snapshot(proc.pid));
  return { perSecond: RECORDS / seconds, mainMsPerBatch: cpu.main / count };
}

async function oneByOne(prefix: string) {
  const before = snapshot(proc.pid);
  const seconds = await overClients(SINGLE, (k) =>
    post("/contacts", { firstName: `Single ${k}`, lastName: prefix, externalId: `${prefix}-${k}` }, 201),
  );
  const cpu = cpuSpent(proc.pid, before, snapshot(proc.pid));
  return { perSecond: SINGLE / seconds, mainMsPerRequest: cpu.main / SINGLE };
}

/** The floor (see the file's comment): plain INSERTs of --batch rows, one transaction each; records/s. */
function floor(round: number): number {
  const file = join(dataDir, `floor-${round}.sqlite`);
  const db = new Database(file, { create: true });
  try {
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = FULL");
    db.run(
      "CREATE TABLE rows (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, title TEXT, external_id TEXT, created_at INTEGER)",
    );
    const insert = db.query(
      `INSERT INTO rows (first_name, last_name, email, title, external_id, created_at) VALUES ${Array.from({ length: BATCH }, () => "(?, ?, ?, ?, ?, ?)").join(", ")}`,
    );
    const count = Math.floor(RECORDS / BATCH);
    const started = performance.now();
    for (let n = 0; n < count; n++) {
      const values: (string | number)[] = [];
      for (let i = 0; i < BATCH; i++) {
        const k = n * BATCH + i;
        values.push(`Person ${k}`, "floor", `p${k}@floor.example`, "First", `floor-${k}`, Date.now());
      }
      db.run("BEGIN IMMEDIATE");
      insert.run(...values);
      db.run("COMMIT");
    }
    return (count * BATCH) / ((performance.now() - started) / 1000);
  } finally {
    db.close();
    rmSync(file, { force: true });
  }
}

const rows: {
  create: number;
  update: number;
  single: number;
  createMs: number;
  updateMs: number;
  singleMs: number;
  floor: number;
}[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const prefix = `r${round}-${Date.now().toString(36)}`;
    const created = await batches(prefix, "First");
    const updated = await batches(prefix, "Second");
    const single = await oneByOne(`s${prefix}`);
    const floorRate = floor(round);
    rows.push({
      create: created.perSecond,
      update: updated.perSecond,
      single: single.perSecond,
      singleMs: single.mainMsPerRequest,
      createMs: created.mainMsPerBatch,
      updateMs: updated.mainMsPerBatch,
      floor: floorRate,
    });
    console.log(
      `round ${round + 1}: create ${Math.round(created.perSecond)}/s (${created.mainMsPerBatch.toFixed(1)} ms main thread per batch), update ${Math.round(updated.perSecond)}/s (${updated.mainMsPerBatch.toFixed(1)} ms), one by one ${Math.round(single.perSecond)}/s (${single.mainMsPerRequest.toFixed(2)} ms), floor ${Math.round(floorRate)}/s`,
    );
  }
} finally {
  proc.kill();
  await proc.exited;
  if (!values.data) rmSync(dataDir, { recursive: true, force: true });
}

const m = (pick: (r: (typeof rows)[number]) => number) => median(rows.map(pick));
console.log(
  `\nbatch upsert, ${RECORDS} contacts in batches of ${BATCH}, ${CLIENTS} concurrent clients, medians of ${ROUNDS} rounds:`,
);
console.log(
  `  upsert creating   ${Math.round(m((r) => r.create))} records/s  (main thread ${m((r) => r.createMs).toFixed(1)} ms per batch)`,
);
console.log(
  `  upsert updating   ${Math.round(m((r) => r.update))} records/s  (main thread ${m((r) => r.updateMs).toFixed(1)} ms per batch)`,
);
console.log(
  `  reference: POST /contacts one by one (${SINGLE}): ${Math.round(m((r) => r.single))} records/s (main thread ${m((r) => r.singleMs).toFixed(2)} ms per request)`,
);
console.log(
  `  floor: plain INSERTs of ${BATCH} rows, one commit each (synchronous=FULL), no HTTP: ${Math.round(m((r) => r.floor))} records/s`,
);
console.log(
  `  ratio batch create ÷ floor: ${(m((r) => r.create) / m((r) => r.floor)).toFixed(2)}, batch update ÷ floor: ${(m((r) => r.update) / m((r) => r.floor)).toFixed(2)}`,
);
console.log(
  `  ratio batch create ÷ one by one: ${(m((r) => r.create) / m((r) => r.single)).toFixed(1)}×  (target ≥ 20,000 records/s)`,
);
console.log(
  `\ncommand: bun scripts/bench/batch-upsert.ts --records ${RECORDS} --batch ${BATCH} --clients ${CLIENTS} --single ${SINGLE} --rounds ${ROUNDS}`,
);
