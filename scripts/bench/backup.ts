/**
 * Benchmark: backups of a 100,000-contact workspace (issue 13), against a plain `cp` of the same
 * file measured in the same run (these machines are shared and noisy):
 *   backup    one snapshot in a worker thread as `crm backup now` and the server's schedule take
 *             it (VACUUM INTO, integrity_check and row counts, zstd, SHA-256): seconds, MB/s of
 *             the workspace's file, compressed size;
 *   verify    what `crm backup verify` does to it (checksum, decompress, integrity_check, rows);
 *   restore   what `crm backup restore` does onto a new host's data directory (verify while
 *             decompressing, install, register);
 *   cp        `cp` of the workspace's file (checkpointed, nothing writing): the floor of any copy.
 *
 * Usage: bun scripts/bench/backup.ts [--data DIR] [--contacts N] [--rounds N]   (npm run bench:backup)
 * Prints medians over the rounds.
 */
import "./bench-env.ts";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compressFile } from "../../src/backups/compressed-file.ts";
import { restoreSnapshot } from "../../src/backups/restore-snapshot.ts";
import { snapshotRef, stampOf } from "../../src/backups/snapshot-files.ts";
import { takeSnapshot } from "../../src/backups/take-snapshot.ts";
import { verifySnapshot } from "../../src/backups/verify-snapshot.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { WorkerPool } from "../../src/workers/pool.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-backup") },
    contacts: { type: "string", default: "100000" },
    rounds: { type: "string", default: "3" },
  },
  strict: true,
});
const dataDir = values.data as string;
const rounds = Number(values.rounds);
await benchData(dataDir, Number(values.contacts));

const catalog = Catalog.open(dataDir);
const tenant = catalog.findBySlug(BENCH.slug);
if (!tenant) throw new Error("no bench workspace");
const source = join(dataDir, tenant.file);
// Checkpointed, so the file alone is the workspace and cp copies all of it.
const db = new Database(source);
db.run("PRAGMA wal_checkpoint(TRUNCATE)");
db.close();
const sourceBytes = statSync(source).size;
const scratch = mkdtempSync(join(tmpdir(), "crm-bench-backup-run-"));
const pool = new WorkerPool({ dataDir, threads: 1, maxQueue: 1, timeoutMs: 3600_000 });

async function timed<T>(fn: () => Promise<T>): Promise<{ s: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { s: (performance.now() - started) / 1000, value };
}

const runs = { backup: [] as number[], verify: [] as number[], restore: [] as number[], cp: [] as number[] };
/** Where a snapshot's time goes, each step timed alone on this thread over the same file. */
const parts = { vacuum: [] as number[], integrity: [] as number[], zstd: [] as number[] };

async function snapshotParts(round: number): Promise<void> {
  const copy = join(scratch, `parts-${round}.sqlite`);
  const live = new Database(source);
  parts.vacuum.push((await timed(async () => live.query("VACUUM INTO ?").run(copy))).s);
  live.close();
  const db = new Database(copy, { readonly: true });
  parts.integrity.push((await timed(async () => db.query("PRAGMA integrity_check").values())).s);
  db.close();
  parts.zstd.push((await timed(() => compressFile(copy, `${copy}.zst`))).s);
  rmSync(copy);
  rmSync(`${copy}.zst`);
}
let compressed = 0;
try {
  // A first snapshot warms the worker thread (its start is not a backup's cost).
  await takeSnapshot(pool, tenant, { dir: join(scratch, "warm") });
  for (let round = 1; round <= rounds; round++) {
    const dir = join(scratch, `round-${round}`);
    const backup = await timed(() => takeSnapshot(pool, tenant, { dir }));
    compressed = backup.value.bytes;
    const ref = snapshotRef(dir, tenant.slug, stampOf(Date.parse(backup.value.takenAt)));
    const verify = await timed(() => verifySnapshot(ref, join(scratch, `verify-${round}.sqlite`)));
    rmSync(join(scratch, `verify-${round}.sqlite`));
    const host = Catalog.open(join(scratch, `host-${round}`));
    const restore = await timed(() => restoreSnapshot(host, ref, { force: false }));
    host.close();
    const cp = await timed(async () => {
      const code = await Bun.spawn(["cp", source, join(scratch, `cp-${round}.sqlite`)]).exited;
      if (code !== 0) throw new Error(`cp exited ${code}`);
    });
    await snapshotParts(round);
    runs.backup.push(backup.s);
    runs.verify.push(verify.s);
    runs.restore.push(restore.s);
    runs.cp.push(cp.s);
    console.error(
      `round ${round}: backup ${backup.s.toFixed(2)} s, verify ${verify.s.toFixed(2)} s, restore ${restore.s.toFixed(2)} s, cp ${cp.s.toFixed(2)} s`,
    );
    rmSync(join(scratch, `host-${round}`), { recursive: true });
    rmSync(join(scratch, `cp-${round}.sqlite`));
  }
} finally {
  await pool.close();
  catalog.close();
  rmSync(scratch, { recursive: true, force: true });
}

const mb = sourceBytes / 1_048_576;
const m = (xs: number[]) => median(xs);
console.log(
  `workspace: ${Number(values.contacts).toLocaleString("en-US")} contacts, file ${mb.toFixed(1)} MB`,
);
console.log(`medians of ${rounds} rounds:`);
console.log(
  `  backup   ${m(runs.backup).toFixed(2)} s  ${(mb / m(runs.backup)).toFixed(0)} MB/s  → ${(compressed / 1_048_576).toFixed(1)} MB (${(sourceBytes / compressed).toFixed(1)}× smaller)`,
);
console.log(
  `    of which, alone: VACUUM INTO ${m(parts.vacuum).toFixed(2)} s, integrity_check ${m(parts.integrity).toFixed(2)} s, zstd + SHA-256 ${m(parts.zstd).toFixed(2)} s`,
);
console.log(`  verify   ${m(runs.verify).toFixed(2)} s  ${(mb / m(runs.verify)).toFixed(0)} MB/s`);
console.log(`  restore  ${m(runs.restore).toFixed(2)} s  ${(mb / m(runs.restore)).toFixed(0)} MB/s`);
console.log(`  cp       ${m(runs.cp).toFixed(2)} s  ${(mb / m(runs.cp)).toFixed(0)} MB/s  (reference)`);
console.log(
  `  ratios to cp: backup ${(m(runs.backup) / m(runs.cp)).toFixed(1)}×, verify ${(m(runs.verify) / m(runs.cp)).toFixed(1)}×, restore ${(m(runs.restore) / m(runs.cp)).toFixed(1)}×`,
);
console.log(`reproduce: npm run bench:backup -- --rounds ${rounds}`);
