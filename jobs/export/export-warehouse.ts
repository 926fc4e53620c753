import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { makeDurable, writeFileDurably } from "./durable-files.ts";
import { lockWarehouse } from "./export-lock.ts";
import {
  type ExistingPart,
  listTenantParts,
  partEntry,
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
  /** Rows staged before a batch is written (default 1,000,000). */
  batchRows?: number;
  /** A tenant's rows are cut into segments of this many (default 1,000,000): a batch never splits one. */
  segmentRows?: number;
}

export interface ExportSummary {
  tenants: number;
  skipped: number;
  rebuilt: number;
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
  const summary: ExportSummary = { tenants: 0, skipped: 0, rebuilt: 0, rows: 0, files: 0, ms: 0 };
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
        renameSync(file.path, target);
        folders.add(dirname(target));
        folders.add(dirname(dirname(target)));
      }
      makeDurable(warehouse, folders);
      const finished = completed.map((c) => c.tenant.id);
      options.onStep?.("renamed", finished);
      for (const file of files)
        if (file.table === INTERACTIONS)
          partsOf.get(file.tenantId)?.add(partEntry(file.day as string, file.firstId as number));
      for (const { tenant, watermark, snapshotOf } of completed) {
        const parts = [...(partsOf.get(tenant.id) ?? [])].sort();
        writeState(warehouse, tenant.id, { watermark, parts, snapshotOf });
        partsOf.delete(tenant.id);
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
        const rebuild = watermark > 0 && (maxId < watermark || reader.rewroteSince(watermark, maxId));
        const from = rebuild ? 0 : watermark;
        if (rebuild) summary.rebuilt++;
        removeParts(rebuild ? listTenantParts(warehouse, tenant.id) : (leftovers.get(tenant.id) ?? []), from);
        partsOf.set(
          tenant.id,
          new Set(previous.parts.filter((entry) => splitPartEntry(entry).firstId <= from)),
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
        const snapshots =
          rebuild ||
          previous.snapshotOf !== snapshotOf ||
          DIMENSIONS.some((d) => !existsSync(snapshotPath(warehouse, d.name, tenant.id)));
        if (snapshots) stageDimensions(stage, reader, tenant, options.key, now());
        completed.push({ tenant, watermark: Math.max(maxId, 0), snapshotOf, snapshots });
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
