import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { writeFileDurably } from "../../src/core/durable-file.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { type BucketPlan, bucketWrites, compactsTonight } from "./bucket-plan.ts";
import { makeDurable, placeDurably } from "./durable-batches.ts";
import { lockWarehouse } from "./export-lock.ts";
import { type ExportOptions, type ExportSummary, printNulled } from "./export-options.ts";
import { ExportTrace, traceWanted } from "./export-trace.ts";
import {
  damagedFiles,
  deleteRetired,
  emptyManifest,
  listedFiles,
  type Manifest,
  ManifestError,
  readManifest,
  sweepWarehouse,
  type TenantEntry,
  writeManifest,
} from "./manifest.ts";
import { type PendingRead, ReadPool } from "./read-pool.ts";
import { type BucketWrite, Staging } from "./staging.ts";
import { type ColumnBatch, type ReadOutcome, UnreadableFileError } from "./tenant-read.ts";
import { TenantReader } from "./tenant-reader.ts";
import { emailHash } from "./warehouse-key.ts";
import {
  BUCKETS,
  bucketOf,
  INTERACTIONS,
  isSafeTenantId,
  RUNNING_MARK,
  STAGING_DIR,
  STATE_DIR,
  splitFile,
} from "./warehouse-layout.ts";

/** Tenants whose reads are handed to the reader threads ahead of the one being appended. */
const READ_AHEAD = 32;
/** Tenants whose rows one batch stages at most. */
const BATCH_TENANTS = 1000;
/**
 * Exports the tenants' new interactions and their dimension snapshots into the warehouse's 64
 * tenant buckets (layout: warehouse-layout.ts, docs/decisions/0008). Per bucket with new rows,
 * one new part; a bucket holding a tenant to rebuild (a merge or erasure in its new entries,
 * damage, `rebuild`), or past MAX_PARTS parts, is rewritten whole as one file. Crash-safe and
 * idempotent: files are written under temporary names, made durable and renamed into place
 * under names never listed before; the manifest listing them is written last, then the files it
 * no longer lists are deleted. A rerun after a stop at any point first removes every file the
 * manifest does not list, so it ends with exactly the rows of a run without the stop.
 * A warehouse without a manifest (the layout before buckets) is exported whole, and its old
 * folders deleted once the new manifest is written.
 */
export async function exportWarehouse(options: ExportOptions): Promise<ExportSummary> {
  const started = performance.now();
  const trace = new ExportTrace();
  // Since the process began: its start and module loading (DuckDB's addon) before this call.
  trace.add("process start", started);
  const now = options.now ?? Date.now;
  const { warehouse } = options;
  const batchRows = options.batchRows ?? 1_000_000;
  mkdirSync(join(warehouse, STATE_DIR), { recursive: true });
  const unlock = lockWarehouse(warehouse);
  const summary: ExportSummary = {
    tenants: 0,
    skipped: 0,
    rebuilt: 0,
    repaired: 0,
    forced: 0,
    rows: 0,
    files: 0,
    ms: 0,
  };
  let instance: DuckDBInstance | undefined;
  let staging: Staging | undefined;
  let pool: ReadPool | undefined;
  /** The batches' files being made durable and renamed into place, in turn. */
  let placing: Promise<void> = Promise.resolve();
  try {
    const stagingDir = join(warehouse, STAGING_DIR);
    const running = join(warehouse, RUNNING_MARK);
    rmSync(stagingDir, { recursive: true, force: true });
    mkdirSync(stagingDir, { recursive: true });
    writeFileDurably(running, `${process.pid}\n`);
    let previous: Manifest | undefined;
    let invalid = false;
    try {
      previous = readManifest(warehouse);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      // Damage: none of its paths is trusted; every file of the buckets is swept below, and
      // every workspace exported whole, as into a warehouse without a manifest.
      invalid = true;
      options.onInvalidManifest?.(error.path, error.reason);
    }
    const current: Manifest = previous ?? emptyManifest();
    // What a stopped run left (files it wrote, listed by no manifest) goes first; so does the
    // layout before buckets once a manifest exists (a stop after the migration's manifest).
    sweepWarehouse(warehouse, current, previous !== undefined);
    // The files the last export replaced: kept until now for the readers that had taken the
    // manifest before it (a query, a run, another engine).
    deleteRetired(warehouse, current);
    const damaged = damagedFiles(warehouse, current);
    const next: Manifest = {
      version: 1,
      next: current.next,
      night: (current.night ?? 0) + 1,
      files: { ...current.files },
      tenants: { ...current.tenants },
    };
    trace.mark("setup");
    const keyId = emailHash(options.key, "key fingerprint")?.slice(0, 16) ?? "";
    /** This run's temporaries start with it (the final names never depend on it). */
    const token = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    /** One export time for every snapshot this run takes. */
    const exportedAt = now();

    const threads = options.threads ?? navigator.hardwareConcurrency ?? 2;
    instance = await DuckDBInstance.create(":memory:", {
      memory_limit: options.memory ?? "1GB",
      threads: String(threads),
      temp_directory: join(stagingDir, "spill"),
    });
    staging = await Staging.create(instance, threads);
    const stage = staging;
    const readers = new ReadPool(options.readers ?? threads);
    pool = readers;
    trace.mark("duckdb");

    // Tenants by bucket; the skipped ones are told at once.
    const byBucket: Tenant[][] = Array.from({ length: BUCKETS }, () => []);
    let done = 0;
    const total = options.tenants.length;
    for (const tenant of options.tenants) {
      const reason = skipReason(tenant);
      if (reason) {
        summary.skipped++;
        options.onSkip?.(tenant, reason);
        options.onTenant?.(++done, total, summary.rows);
      } else byBucket[bucketOf(tenant.id)]?.push(tenant);
    }
    // A bucket's tenants in the order of their ids: their rows are staged in the files' order.
    for (const tenants of byBucket) tenants.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

    let batch: BucketPlan[] = [];
    let batchTenants: string[] = [];
    let placingFailed: unknown;
    const flush = async () => {
      if (placingFailed !== undefined) throw placingFailed;
      trace.mark("read wait");
      const writes: BucketWrite[] = [];
      for (const plan of batch) writes.push(...bucketWrites(plan, next, warehouse));
      const files = await stage.write(warehouse, token, writes, options.onFiles, (table, ms) =>
        trace.add(table === INTERACTIONS ? "COPYs of parts (summed)" : "COPYs of snapshots (summed)", ms),
      );
      trace.mark("copy");
      summary.files += files.length;
      const tenantsOfBatch = batchTenants;
      batch = [];
      batchTenants = [];
      await stage.reset();
      trace.mark("reset");
      // The disk makes the files durable and they are renamed into place while this thread
      // appends the next batch (the batches in turn); the manifest waits for all of them.
      // Each bucket is written by one batch, so no later batch's plan reads these entries.
      placing = placing.then(async () => {
        const began = performance.now();
        const sizes = await placeDurably(
          files.map(({ write, path }) => ({ path, target: join(warehouse, write.file) })),
        );
        files.forEach(({ write }, i) => {
          next.files[write.file] = sizes[i] as number;
        });
        trace.add("fsync + rename (beside)", performance.now() - began);
        options.onStep?.("renamed", tenantsOfBatch);
      });
      // A failure stops the export at its next batch (and is thrown before any manifest).
      placing.catch((error: unknown) => {
        placingFailed = error;
      });
    };

    // Buckets rewritten because a workspace's history was (a merge or an erasure): their replaced
    // files are deleted at once, not retired, so an erased person leaves the disk at this export.
    const rewrittenBuckets = new Set<number>();
    // Each bucket's reads are handed to the reader threads ahead of the one being appended,
    // so they read while this thread appends and writes.
    interface Prepared {
      tenants: Tenant[];
      damagedPaths: string[];
      forcedHere: Tenant[];
      whole: boolean;
      /** Whole, but these tenants' files cannot be opened (why): the bucket is kept as it is. */
      unreadable: Map<Tenant, string>;
      reads: PendingRead[];
    }
    const prepared: (Prepared | undefined)[] = [];
    let inFlight = 0;
    const prepare = (bucket: number): Prepared => {
      const tenants = byBucket[bucket] ?? [];
      const damagedPaths = damaged.get(bucket) ?? [];
      const forcedHere = tenants.filter((t) => options.rebuild === "all" || options.rebuild?.has(t.id));
      // A damaged or forced bucket is read again whole from its tenants' files; unless one of
      // them cannot be opened now: its rows could not be made again, so the bucket is left as it
      // is this time (its files, every tenant's entry), and rebuilt by an export that can.
      const whole = damagedPaths.length > 0 || forcedHere.length > 0;
      const unreadable = new Map<Tenant, string>();
      if (whole)
        for (const tenant of tenants) {
          try {
            TenantReader.open(options.dataDir, tenant).close();
          } catch (error) {
            unreadable.set(tenant, (error as Error).message);
          }
        }
      const reads =
        unreadable.size > 0
          ? []
          : tenants.map((tenant) => {
              const entry: TenantEntry | undefined = current.tenants[tenant.id];
              return readers.read({
                dataDir: options.dataDir,
                tenant,
                watermark: entry?.watermark ?? 0,
                snapshotOf: entry?.snapshotOf,
                whole,
                key: options.key,
                keyId,
                exportedAt,
                lastRow: entry?.lastRow,
              });
            });
      inFlight += reads.length;
      return { tenants, damagedPaths, forcedHere, whole, unreadable, reads };
    };
    let prepareNext = 0;
    /** Prepares `bucket` if it is not yet, and the next ones while few reads are under way. */
    const readAhead = (bucket: number) => {
      while (prepareNext < BUCKETS && (prepareNext <= bucket || inFlight < READ_AHEAD)) {
        prepared[prepareNext] = prepare(prepareNext);
        prepareNext++;
      }
    };
    /** A bucket kept as it was because some of its workspaces cannot be read now: all of them skipped, those named. */
    const keepBucket = (bucket: number, tenants: Tenant[], reasons: ReadonlyMap<Tenant, string>) => {
      for (const tenant of tenants) {
        summary.skipped++;
        const reason = reasons.get(tenant);
        if (reason !== undefined) options.onSkip?.(tenant, reason);
        options.onTenant?.(++done, total, summary.rows);
      }
      options.onBucketKept?.(bucket, [...reasons.keys()]);
    };
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      readAhead(bucket);
      const { tenants, damagedPaths, forcedHere, whole, unreadable, reads } = prepared[bucket] as Prepared;
      prepared[bucket] = undefined;
      if (unreadable.size > 0) {
        keepBucket(bucket, tenants, unreadable);
        continue;
      }
      const plan: BucketPlan = {
        bucket,
        staged: [],
        fromZero: new Set(),
        snapshots: new Map(),
        damaged: new Set(damagedPaths),
        whole,
        rows: 0,
      };
      // A bucket made again whole is read whole or kept as it was: a tenant whose file fails
      // part way (damaged past its header) leaves it as one that cannot be opened does.
      const read: { tenant: Tenant; outcome: ReadOutcome }[] = [];
      const failed = new Map<Tenant, string>();
      for (const [i, tenant] of tenants.entries()) {
        stage.beginTenant(tenant.id);
        try {
          // Once a whole bucket's read failed, the others' rows are read to the end and dropped.
          const sink =
            whole && failed.size > 0
              ? () => {}
              : (batch: ColumnBatch) => {
                  trace.mark("read wait");
                  stage.append(tenant.id, batch);
                  trace.mark("append");
                };
          const outcome = await (reads[i] as PendingRead).consume(sink);
          trace.merge(outcome.phases, "reader ");
          read.push({ tenant, outcome });
        } catch (error) {
          if (!(error instanceof UnreadableFileError)) throw error;
          // Its rows staged so far are in no file this run writes (no write names the tenant),
          // and its entry and its rows in the bucket's files stay as they were.
          failed.set(tenant, error.message);
          if (!whole) {
            summary.skipped++;
            options.onSkip?.(tenant, error.message);
            options.onTenant?.(++done, total, summary.rows);
          }
        } finally {
          inFlight--;
          readAhead(bucket);
        }
      }
      if (whole && failed.size > 0) {
        keepBucket(bucket, tenants, failed);
        continue;
      }
      for (const { tenant, outcome } of read) {
        const forced = forcedHere.includes(tenant);
        if (forced) summary.forced++;
        else if (outcome.rewritten) summary.rebuilt++;
        else if (damagedPaths.length > 0 || invalid) summary.repaired++;
        if (damagedPaths.length > 0) options.onDamaged?.(tenant, damagedPaths);
        if (outcome.rewritten) rewrittenBuckets.add(bucket);
        if (outcome.fromZero) plan.fromZero.add(tenant.id);
        if (outcome.rows > 0) plan.staged.push(tenant.id);
        plan.rows += outcome.rows;
        summary.rows += outcome.rows;
        for (const name of outcome.retaken)
          plan.snapshots.set(name, [...(plan.snapshots.get(name) ?? []), tenant.id]);
        next.tenants[tenant.id] = {
          watermark: outcome.maxId,
          snapshotOf: outcome.snapshotOf,
          ...(outcome.lastRow === undefined ? {} : { lastRow: outcome.lastRow }),
        };
        if (Object.keys(outcome.nulled).length > 0) (options.onNulled ?? printNulled)(tenant, outcome.nulled);
        summary.tenants++;
        batchTenants.push(tenant.id);
        options.onTenant?.(++done, total, summary.rows);
      }
      // Made again whole (every tenant's file opened): a tenant of the bucket not read now (it
      // left the catalog) keeps no row, and no entry.
      if (whole)
        for (const id of Object.keys(next.tenants))
          if (bucketOf(id) === bucket && !plan.fromZero.has(id)) delete next.tenants[id];
      const compacts = compactsTonight(
        bucket,
        next.night ?? 0,
        listedFiles(next, INTERACTIONS, bucket).length,
      );
      if (plan.rows > 0 || plan.snapshots.size > 0 || plan.damaged.size > 0 || compacts) batch.push(plan);
      if (stage.rows >= batchRows || batchTenants.length >= BATCH_TENANTS) await flush();
    }
    if (batch.length > 0) await flush();
    trace.mark("read wait");
    await placing;
    trace.mark("placing wait");
    // The files this run replaced stay on disk, retired, until the next export: a reader that
    // took the previous manifest can still read them all.
    // A bucket rebuilt for damage is no use to any reader of the previous manifest, and one
    // rewritten for a merge or an erasure must not keep the person on disk: their files go now (a
    // reader of that bucket that started before this export may then fail, and can run again).
    const retired = Object.keys(current.files).filter((file) => {
      const { bucket } = splitFile(file);
      return !(file in next.files) && !damaged.has(bucket) && !rewrittenBuckets.has(bucket);
    });
    if (retired.length > 0) next.retired = retired.sort();
    writeManifest(warehouse, next);
    trace.mark("manifest");
    options.onStep?.("recorded", Object.keys(next.tenants));
    // What is neither listed nor retired (a stopped run's files), and the old layout's folders.
    sweepWarehouse(warehouse, next, true);
    rmSync(stagingDir, { recursive: true, force: true });
    rmSync(running, { force: true });
    makeDurable(warehouse, [warehouse, join(warehouse, STATE_DIR)]);
    trace.mark("finish");
    if (options.trace ?? traceWanted()) trace.threadCpu();
  } finally {
    // Nothing is renamed once the lock is given up.
    await placing.catch(() => undefined);
    pool?.close();
    staging?.close();
    instance?.closeSync();
    unlock();
  }
  trace.mark("close");
  summary.ms = performance.now() - started;
  if (options.trace ?? traceWanted()) process.stderr.write(`export trace: ${trace.line()}\n`);
  return summary;
}

function skipReason(tenant: Tenant): string | undefined {
  if (!isSafeTenantId(tenant.id)) return `its id ${JSON.stringify(tenant.id)} cannot name a folder`;
  if (tenant.status === "provisioning") return "it is still being set up";
  if (tenant.failure) return `its file is marked failed (${tenant.failure}); run crm tenants check`;
  return undefined;
}
