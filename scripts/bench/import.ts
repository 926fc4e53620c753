/**
 * Benchmark (b): CSV import of contacts, end to end. The bench writes a CSV file of N contacts
 * (default 1,000,000: first and last name, email, job title, phone, a tag), then each round,
 * into a fresh workspace of its own:
 *   import     the file read in a worker (the upload's inspect task), then the run task
 *              (`imports.run`) through the real worker pool, as `crm import` and the Import
 *              button start it: every row checked, matched by email, written through the
 *              contacts' service with its tag and `contact.created` log entry and journaled
 *              for Undo, in transactions of at most ~8 ms;
 *   reference  the same rows as plain prepared INSERTs into `contacts` (the table's own
 *              triggers, i.e. its full-text index, included) in 10,000-row transactions on
 *              the bench's thread, the file read with the same CSV reader: what storing the
 *              rows costs at least;
 *   short      the same plain INSERTs in transactions of at most ~8 ms with a 1 ms pause
 *              between them, as the import must commit (the server's thread waits at most
 *              20 ms for the lock): what storing the rows costs at least under that rule.
 * Prints rows/s of each and the import's ratio to both, per round and as medians.
 *
 * Usage: bun scripts/bench/import.ts [--rows N] [--rounds N] [--data DIR] [--in-process]
 *   --in-process: call the run task on this thread instead of the pool (for a profiler:
 *   bun --cpu-prof scripts/bench/import.ts --in-process --rows 100000 --rounds 1).
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { createBackgroundTask } from "../../src/background/background-tasks.ts";
import { listFields } from "../../src/custom-fields/field-definitions.ts";
import { SYSTEM_ACTOR } from "../../src/identity/viewer.ts";
import { ensureImportDir, storedPath, uploadName } from "../../src/imports/import-files.ts";
import { suggestMapping } from "../../src/imports/import-mapping.ts";
import { claimRun, createImport, readImport } from "../../src/imports/imports.ts";
import inspect, { type InspectParams, type InspectResult } from "../../src/imports/inspect.worker.ts";
import { CHUNK_MS } from "../../src/imports/process-file.ts";
import { readCsv } from "../../src/imports/read-csv.ts";
import run from "../../src/imports/run.worker.ts";
import type { ImportTaskParams } from "../../src/imports/task-params.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { WorkerPool } from "../../src/workers/pool.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
    data: { type: "string", default: join(tmpdir(), "crm-bench-import") },
    "in-process": { type: "boolean", default: false },
  },
  strict: true,
});
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
const dataDir = values.data as string;
const inProcess = values["in-process"] === true;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const source = join(dataDir, "contacts.csv");

/** The file, written in pieces (it never sits in memory whole). */
async function writeFile(): Promise<number> {
  const writer = Bun.file(source).writer();
  writer.write("First Name,Last Name,Email Address,Job Title,Phone Number,Tags\n");
  let chunk = "";
  for (let i = 0; i < ROWS; i++) {
    chunk += `First${i},Last${i},person${i}@bench.test,Engineer ${i % 50},+1 555 ${String(i).padStart(7, "0")},${i % 3 ? "lead" : "customer"}\n`;
    if (chunk.length > 1 << 20) {
      writer.write(chunk);
      chunk = "";
    }
  }
  writer.write(chunk);
  await writer.end();
  return Bun.file(source).size;
}

const started = performance.now();
const bytes = await writeFile();
console.log(
  `file: ${fmt(ROWS)} contacts, ${(bytes / 1024 / 1024).toFixed(1)} MB, written in ${fmt(performance.now() - started)} ms`,
);

const catalog = Catalog.open(dataDir);
const shards = new ShardManager({ dataDir, maxOpen: 8 });
const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 10, memoryCostKiB: 4096, timeCost: 1 });
const pool = new WorkerPool({ dataDir, threads: 1, maxQueue: 4, timeoutMs: 60 * 60_000 });

async function workspace(slug: string): Promise<Tenant> {
  const { tenant } = await createTenant(catalog, hasher, {
    slug,
    name: slug,
    ownerName: "Bench",
    ownerEmail: `owner@${slug}.test`,
    ownerPassword: "correct horse battery",
  });
  return tenant;
}

/** Inspect + run through the pool (or on this thread); returns seconds. */
async function importRound(tenant: Tenant): Promise<{ seconds: number; created: number }> {
  ensureImportDir(dataDir, tenant.id);
  const name = uploadName(tenant.id);
  copyFileSync(source, storedPath(dataDir, name));
  const input = { tenantId: tenant.id, slug: tenant.slug, file: tenant.file };
  const context = { shard: () => shards.acquire(tenant) };
  const t0 = performance.now();
  const inspectParams: InspectParams = { dataDir, storedFile: name, kind: "contact" };
  const read = inProcess
    ? ((await inspect({ ...input, params: inspectParams }, context)) as InspectResult)
    : await pool.run<InspectResult>("imports.inspect", { ...input, params: inspectParams });
  const params = await shards.use(tenant, (shard) => {
    const mapping = suggestMapping("contact", read.columns, listFields(shard, "contact"));
    const id = createImport(shard, SYSTEM_ACTOR, {
      kind: "contact",
      fileName: "contacts.csv",
      storedFile: name,
      sizeBytes: bytes,
      ...read,
      mapping,
    });
    claimRun(shard, SYSTEM_ACTOR, id, ["uploaded"]);
    const backgroundTaskId = createBackgroundTask(shard, SYSTEM_ACTOR, { kind: "import", label: "bench" });
    return { importId: id, dataDir, actor: SYSTEM_ACTOR, backgroundTaskId } satisfies ImportTaskParams;
  });
  if (inProcess) await run({ ...input, params }, context);
  else await pool.run("imports.run", { ...input, params }, { timeoutMs: 60 * 60_000 });
  const seconds = (performance.now() - t0) / 1000;
  const outcome = await shards.use(tenant, (shard) => readImport(shard, params.importId).outcome);
  return { seconds, created: outcome?.created ?? 0 };
}

/**
 * The same rows as plain prepared INSERTs, read with the same CSV reader: in 10,000-row
 * transactions, or (`short`) in transactions of at most CHUNK_MS with a 1 ms pause between; returns seconds.
 */
async function referenceRound(tenant: Tenant, short = false): Promise<{ seconds: number; rows: number }> {
  return shards.use(tenant, async (shard) => {
    const insert = shard.statement(
      "INSERT INTO contacts (first_name, last_name, email, title, phone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const t0 = performance.now();
    let rows = 0;
    let header = true;
    let pending: string[][] = [];
    const flush = async () => {
      const now = Date.now();
      let next = 0;
      while (next < pending.length) {
        const started = performance.now();
        shard.transaction(() => {
          while (next < pending.length) {
            const c = pending[next++] as string[];
            insert.run(c[0] ?? "", c[1] ?? "", c[2] ?? null, c[3] ?? null, c[4] ?? null, now, now);
            if (short && performance.now() - started > CHUNK_MS) break;
          }
        });
        if (short) await Bun.sleep(1);
      }
      rows += pending.length;
      pending = [];
    };
    for await (const batch of readCsv(source, { encoding: "utf-8", delimiter: "," })) {
      for (const record of batch.records) {
        if (header) {
          header = false;
          continue;
        }
        pending.push(record.cells);
        if (pending.length === 10_000) await flush();
      }
    }
    await flush();
    return { seconds: (performance.now() - t0) / 1000, rows };
  });
}

const results: { imp: number; ref: number; short: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const imported = await importRound(await workspace(`imp-${round}`));
  if (imported.created !== ROWS)
    throw new Error(`round ${round}: ${imported.created} of ${ROWS} rows created`);
  const reference = await referenceRound(await workspace(`ref-${round}`));
  if (reference.rows !== ROWS) throw new Error(`round ${round}: the reference stored ${reference.rows} rows`);
  const shortReference = await referenceRound(await workspace(`short-${round}`), true);
  if (shortReference.rows !== ROWS)
    throw new Error(`round ${round}: the short reference stored ${shortReference.rows} rows`);
  const imp = ROWS / imported.seconds;
  const ref = ROWS / reference.seconds;
  const short = ROWS / shortReference.seconds;
  results.push({ imp, ref, short });
  console.log(
    `round ${round}: import ${fmt(imp)} rows/s (${imported.seconds.toFixed(1)} s${inProcess ? ", in process" : ", pool"}), reference ${fmt(ref)} rows/s (${reference.seconds.toFixed(1)} s), short reference ${fmt(short)} rows/s (${shortReference.seconds.toFixed(1)} s), import/reference ${(imp / ref).toFixed(3)}, import/short ${(imp / short).toFixed(3)}`,
  );
}
const imp = median(results.map((r) => r.imp));
const ref = median(results.map((r) => r.ref));
const short = median(results.map((r) => r.short));
console.log(
  `median of ${ROUNDS}: import ${fmt(imp)} rows/s (target >= 100,000), reference ${fmt(ref)} rows/s, short reference ${fmt(short)} rows/s, import/reference ${(imp / ref).toFixed(3)}, import/short ${(imp / short).toFixed(3)}`,
);
await pool.close();
shards.closeAll();
catalog.close();
rmSync(dataDir, { recursive: true, force: true });
