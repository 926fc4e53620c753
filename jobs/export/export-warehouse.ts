import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { makeDurable, writeFileDurably } from "./durable-files.ts";
import { lockWarehouse } from "./export-lock.ts";
import {
  damagedParts,
  damagedSnapshots,
  type ExistingPart,
  fileSize,
  listTenantParts,
  partEntry,
  partPath,
  readState,
  removeParts,
  splitPartEntry,
  sweepWarehouse,
  writeState,
} from "./export-state.ts";
import { Staging, TEMPORARY_PREFIX } from "./staging.ts";
import { type Row, TenantReader } from "./tenant-reader.ts";
import { emailHash } from "./warehouse-key.ts";
import {
  DIMENSIONS,
  INTERACTIONS,
  isSafeTenantId,
  partFile,
  partitionDir,
  RUNNING_MARK,
  STAGING_DIR,
  STATE_DIR,
  snapshotPath,
} from "./warehouse-layout.ts";

export interface ExportOptions {
  dataDir: string;
  warehouse: string;
  tenants: Tenant[];
  /** The pseudonymisation key (loadWarehouseKey). */
  key: Buffer;
  /** DuckDB's memory limit, e.g. "1GB". */
  memory?: string;
  /** DuckDB's threads; as many connections write the partition files side by side. */
  threads?: number;
  /** Partitions one COPY writes at most (default 500: DuckDB holds a buffer per partition). */
  partitionsPerCopy?: number;
  now?: () => number;
  onTenant?: (done: number, total: number, rows: number) => void;
  onSkip?: (tenant: Tenant, reason: string) => void;
  /**
   * After each batch's files are all in place ("renamed"), then after the watermarks of the
   * tenants it finished are written ("recorded"): where a crash leaves which state.
   */
  onStep?: (step: "renamed" | "recorded", tenantIds: string[]) => void;
  /** While a batch's interactions are written: partition files written of the batch's. */
  onFiles?: (done: number, total: number) => void;
  /**
   * Tenants (by id) to rebuild from scratch whatever their state, or "all": an operator's clean
   * slate (`crm analytics export --rebuild`).
   */
  rebuild?: "all" | ReadonlySet<string>;
  /** A tenant whose recorded files are gone or changed: the paths found so; it is rebuilt. */
  onDamaged?: (tenant: Tenant, paths: string[]) => void;
  /** Rows staged before a batch is written (default 1,000,000). */
  batchRows?: number;
  /** A tenant's rows are cut into segments of this many (default 1,000,000): a batch never splits one. */
  segmentRows?: number;
}

export interface ExportSummary {
  tenants: number;
  skipped: number;
  /** Rebuilt for a merge or an erasure in their new entries (or their file put back from a backup). */
  rebuilt: number;
  /** Rebuilt (or their snapshots retaken) because recorded files were gone or changed. */
  repaired: number;
  /** Rebuilt because the caller asked (`rebuild`). */
  forced: number;
  rows: number;
  files: number;
  ms: number;
}

/** Rows read from a tenant's file at a time; a segment is a whole number of reads. */
const READ_ROWS = 50_000;
/** Tenants whose dimensions one batch writes at most (eight files each). */
const BATCH_TENANTS = 250;

interface Completed {
  tenant: Tenant;
  watermark: number;
  /** Set when this run rewrites the tenant's snapshots; else they are current and kept. */
  snapshotOf: string;
  snapshots: boolean;
  /** The kept snapshots' sizes (when `snapshots` is false). */
  snapshotSizes: Record<string, number>;
}

/**
 * Exports the tenants' new interactions and their dimension snapshots into the warehouse
 * (layout: warehouse-layout.ts). Crash-safe and idempotent: files are written under
 * temporary names beside their final ones, made durable and renamed into place; a tenant's
 * watermark is written after all its files; a rerun after a stop first removes what the
 * stopped run left (its temporaries, parts past a watermark), so it ends
 * with exactly the warehouse a run without the stop would have made.
 */
export async function exportWarehouse(options: ExportOptions): Promise<ExportSummary> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const { warehouse } = options;
  const batchRows = options.batchRows ?? 1_000_000;
  const segmentRows = Math.max(
    READ_ROWS,
    Math.round((options.segmentRows ?? 1_000_000) / READ_ROWS) * READ_ROWS,
  );
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
  try {
    const stagingDir = join(warehouse, STAGING_DIR);
    const running = join(warehouse, RUNNING_MARK);
    // A stop half way leaves its mark: then any folder may hold its temporaries, and any
    // tenant parts past its watermark.
    const stopped = existsSync(running);
    rmSync(stagingDir, { recursive: true, force: true });
    mkdirSync(stagingDir, { recursive: true });
    writeFileDurably(running, `${process.pid}\n`);
    const leftovers = stopped
      ? sweepWarehouse(
          warehouse,
          TEMPORARY_PREFIX,
          DIMENSIONS.map((d) => d.name),
        )
      : new Map<string, ExistingPart[]>();
    const keyId = emailHash(options.key, "key fingerprint")?.slice(0, 16) ?? "";
    /** This run's temporaries start with it (the final names never depend on it). */
    const token = `${process.pid.toString(36)}${Date.now().toString(36)}`;

    const threads = options.threads ?? navigator.hardwareConcurrency ?? 2;
    instance = await DuckDBInstance.create(":memory:", {
      memory_limit: options.memory ?? "1GB",
      threads: String(threads),
      temp_directory: join(stagingDir, "spill"),
    });
    staging = await Staging.create(instance, threads, options.partitionsPerCopy);
    const stage = staging;

    /** The part files of the tenants under way (their previous ones kept, then each batch's). */
    const partsOf = new Map<string, Set<string>>();
    /** Their sizes in bytes, by entry (kept parts' from the state, written ones' after their rename). */
    const sizesOf = new Map<string, Record<string, number>>();
    let completed: Completed[] = [];
    const flush = async () => {
      const files = await stage.write(
        warehouse,
        token,
        completed.filter((c) => c.snapshots).map((c) => c.tenant.id),
        options.onFiles,
      );
      makeDurable(
        warehouse,
        files.map((f) => f.path),
      );
      const folders = new Set<string>();
      for (const file of files) {
        const target =
          file.table === INTERACTIONS
            ? join(
                partitionDir(warehouse, file.day as string, file.tenantId),
                partFile(file.firstId as number),
              )
            : snapshotPath(warehouse, file.table, file.tenantId);
        const size = statSync(file.path).size;
        renameSync(file.path, target);
        if (file.table === INTERACTIONS) {
          const sizes = sizesOf.get(file.tenantId);
          if (sizes) sizes[partEntry(file.day as string, file.firstId as number)] = size;
        } else {
          const done = completed.find((c) => c.tenant.id === file.tenantId);
          if (done) done.snapshotSizes[file.table] = size;
        }
        folders.add(dirname(target));
        folders.add(dirname(dirname(target)));
      }
      makeDurable(warehouse, folders);
      const finished = completed.map((c) => c.tenant.id);
      options.onStep?.("renamed", finished);
      for (const file of files)
        if (file.table === INTERACTIONS)
          partsOf.get(file.tenantId)?.add(partEntry(file.day as string, file.firstId as number));
      for (const { tenant, watermark, snapshotOf, snapshotSizes } of completed) {
        const parts = [...(partsOf.get(tenant.id) ?? [])].sort();
        const known = sizesOf.get(tenant.id) ?? {};
        const sizes: Record<string, number> = {};
        for (const entry of parts) {
          const size = known[entry];
          if (size !== undefined && size >= 0) sizes[entry] = size;
        }
        writeState(warehouse, tenant.id, { watermark, parts, snapshotOf, sizes, snapshotSizes });
        partsOf.delete(tenant.id);
        sizesOf.delete(tenant.id);
      }
      options.onStep?.("recorded", finished);
      summary.files += files.length;
      completed = [];
      await stage.reset();
    };

    let done = 0;
    for (const tenant of options.tenants) {
      done++;
      const reason = skipReason(tenant);
      if (reason) {
        summary.skipped++;
        options.onSkip?.(tenant, reason);
        continue;
      }
      let reader: TenantReader;
      try {
        reader = TenantReader.open(options.dataDir, tenant);
      } catch (error) {
        summary.skipped++;
        options.onSkip?.(tenant, (error as Error).message);
        continue;
      }
      try {
        const previous = readState(warehouse, tenant.id);
        const watermark = previous.watermark;
        const maxId = reader.maxId();
        // A file behind its watermark (put back from a backup) is rebuilt too.
        const rewritten = watermark > 0 && (maxId < watermark || reader.rewroteSince(watermark, maxId));
        // Every recorded file is checked (a stat each): one gone or changed since it was written
        // (a truncated or deleted part) makes the tenant's history exported again from its file.
        const damaged = damagedParts(warehouse, tenant.id, previous);
        const forced = options.rebuild === "all" || options.rebuild?.has(tenant.id) === true;
        const rebuild = rewritten || damaged.length > 0 || forced;
        const from = rebuild ? 0 : watermark;
        if (forced) summary.forced++;
        else if (rewritten) summary.rebuilt++;
        removeParts(rebuild ? listTenantParts(warehouse, tenant.id) : (leftovers.get(tenant.id) ?? []), from);
        const kept = previous.parts.filter((entry) => splitPartEntry(entry).firstId <= from);
        partsOf.set(tenant.id, new Set(kept));
        sizesOf.set(
          tenant.id,
          Object.fromEntries(
            kept.map((entry) => [
              entry,
              previous.sizes?.[entry] ?? fileSize(partPath(warehouse, tenant.id, entry)) ?? -1,
            ]),
          ),
        );

        let after = from;
        let inSegment = 0;
        for (;;) {
          const rows = reader.interactions(after, maxId, READ_ROWS);
          if (rows.length === 0) break;
          stage.interactions.append(tenant.id, rows);
          summary.rows += rows.length;
          after = Number(rows[rows.length - 1]?.[0]);
          inSegment += rows.length;
          if (inSegment >= segmentRows) {
            inSegment = 0;
            if (stage.rows >= batchRows) await flush();
          }
          if (rows.length < READ_ROWS) break;
        }
        // Snapshots are rewritten whole when anything in the file changed since they were taken
        // (or the key did); an idle workspace's night costs no file at all.
        const snapshotOf = `${reader.changeCounter()}/${keyId}`;
        const dimensionNames = DIMENSIONS.map((d) => d.name);
        // A first export has no snapshots to check (nor a state that ever recorded them).
        const damagedSnapshotFiles =
          previous.snapshotOf === undefined
            ? []
            : damagedSnapshots(warehouse, tenant.id, previous, dimensionNames);
        if (damaged.length > 0 || damagedSnapshotFiles.length > 0) {
          if (!forced) summary.repaired++;
          options.onDamaged?.(tenant, [...damaged, ...damagedSnapshotFiles]);
        }
        const snapshots = rebuild || previous.snapshotOf !== snapshotOf || damagedSnapshotFiles.length > 0;
        if (snapshots) stageDimensions(stage, reader, tenant, options.key, now());
        const snapshotSizes: Record<string, number> = {};
        if (!snapshots)
          for (const name of dimensionNames)
            snapshotSizes[name] =
              previous.snapshotSizes?.[name] ?? fileSize(snapshotPath(warehouse, name, tenant.id)) ?? -1;
        completed.push({ tenant, watermark: Math.max(maxId, 0), snapshotOf, snapshots, snapshotSizes });
        summary.tenants++;
      } finally {
        reader.close();
      }
      if (stage.rows >= batchRows || completed.length >= BATCH_TENANTS) await flush();
      options.onTenant?.(done, options.tenants.length, summary.rows);
    }
    if (completed.length > 0 || stage.rows > 0) await flush();
    rmSync(stagingDir, { recursive: true, force: true });
    rmSync(running, { force: true });
    makeDurable(warehouse, [warehouse, join(warehouse, STATE_DIR)]);
  } finally {
    staging?.close();
    instance?.closeSync();
    unlock();
  }
  summary.ms = performance.now() - started;
  return summary;
}

function skipReason(tenant: Tenant): string | undefined {
  if (!isSafeTenantId(tenant.id)) return `its id ${JSON.stringify(tenant.id)} cannot name a folder`;
  if (tenant.status === "provisioning") return "it is still being set up";
  if (tenant.failure) return `its file is marked failed (${tenant.failure}); run crm tenants check`;
  return undefined;
}

function stageDimensions(
  stage: Staging,
  reader: TenantReader,
  tenant: Tenant,
  key: Buffer,
  exportedAt: number,
) {
  for (const dimension of DIMENSIONS) {
    let rows: Row[] = reader.rows(dimension.select);
    if (dimension.name === "contacts")
      rows = rows.map((r) => [
        r[0] ?? null,
        r[1] ?? null,
        r[2] ?? null,
        emailHash(key, r[3] as string | null),
        r[4] ?? null,
        r[5] ?? null,
      ]);
    if (dimension.name === "workspace") rows = rows.map((r) => [r[0] ?? "UTC", exportedAt]);
    stage.dimensions.get(dimension.name)?.append(tenant.id, rows);
  }
}
