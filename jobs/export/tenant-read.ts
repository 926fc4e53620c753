import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { dimensionsToRetake, snapshotMark } from "./manifest.ts";
import { type Row, TenantReader } from "./tenant-reader.ts";
import { emailHash } from "./warehouse-key.ts";
import { type ColumnSpec, DIMENSIONS, INTERACTION_COLUMNS, INTERACTIONS } from "./warehouse-layout.ts";

// What an export reads of one workspace's file, on whichever thread reads it (read-pool.ts):
// its plan (watermark, rewrite, which snapshots), its new rows and its snapshots, as columns.

/** Rows read from a tenant's file at a time: one batch of columns. */
export const READ_ROWS = 50_000;

/** The tenant's file cannot be opened (its schema, its owner, damage): the export skips it. */
export class UnreadableFileError extends Error {}

/** What the export asks of one tenant's file. */
export interface ReadRequest {
  dataDir: string;
  tenant: Tenant;
  /** The last id exported (0: none). */
  watermark: number;
  /** The manifest's snapshot mark of the tenant, if any. */
  snapshotOf: string | undefined;
  /** Its bucket is made again whole: every row read from zero, every snapshot retaken. */
  whole: boolean;
  /** The pseudonymisation key and its fingerprint. */
  key: Uint8Array;
  keyId: string;
  /** The export's time, the workspace snapshot's `exported_at`. */
  exportedAt: number;
  /**
   * The manifest's fingerprint of the row at the watermark (lastRowMark), if it holds one: a
   * file whose row at the watermark is gone or another (put back from a backup, then given new
   * activity past the watermark) is read again from zero.
   */
  lastRow?: string | undefined;
}

/** What was found of the tenant's file, once read. */
export interface ReadOutcome {
  /** The log's last id: the next watermark. */
  maxId: number;
  /** A merge or an erasure since the watermark, or a file behind it (put back from a backup). */
  rewritten: boolean;
  /** Read from its first row: none of its rows is kept from the current files. */
  fromZero: boolean;
  /** Interaction rows read. */
  rows: number;
  /** The dimensions whose snapshot rows were read. */
  retaken: string[];
  snapshotOf: string;
  /** The fingerprint of the row at `maxId` (undefined when the log is empty). */
  lastRow: string | undefined;
  /**
   * Values the warehouse's column cannot hold (an INTEGER past 2^31, a time outside the years
   * 1900–9999, a number past BIGINT's range), exported as null: `table.column` → how many.
   */
  nulled: Record<string, number>;
  /** Where the read's time went (ms): open, log, snapshots, close (ExportTrace). */
  phases?: Record<string, number>;
}

/**
 * Rows of one staged table as columns, in the table's ColumnSpec order: numbers as a
 * Float64Array (NaN for null or a value that is no number), CODE texts as an Int32Array of codes
 * into `dictionary` (code n is its n-th text, 0 null), other texts as strings.
 */
export interface ColumnBatch {
  table: string;
  rows: number;
  columns: (Float64Array | Int32Array | (string | null)[])[];
  dictionary: string[];
}

/** A staged number: NaN for null, and for a value that is no number (a stage id written as text in a payload). */
export function stagedNumber(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? value : Number.NaN;
  if (value === null || value === undefined) return Number.NaN;
  const n = Number(value);
  return Number.isFinite(n) ? n : Number.NaN;
}

/** The earliest time the warehouse holds: 1900-01-01T00:00:00Z (ms). */
export const MIN_TIME_MS = Date.UTC(1900, 0, 1);
/** The latest time the warehouse holds: 9999-12-31T23:59:59.999Z (ms). */
export const MAX_TIME_MS = Date.UTC(10000, 0, 1) - 1;

/** The largest double below 2^63: the largest staged number a BIGINT holds. */
const MAX_BIGINT_DOUBLE = 2 ** 63 - 1024;

/**
 * The staged numbers (not NaN) its Parquet column holds, lowest and highest: an INTEGER within
 * 32 bits, a TIMESTAMP (ms since 1970) within the years 1900–9999, a BIGINT within 64 bits. A
 * value outside is staged as null (counted), so DuckDB never fails the bucket's COPY on it.
 */
export function columnRange(spec: ColumnSpec): [number, number] {
  switch (spec.out) {
    case "INTEGER":
      return [-2147483648, 2147483647];
    case "TIMESTAMP":
      return [MIN_TIME_MS, MAX_TIME_MS];
    case "BIGINT":
      return [-(2 ** 63), MAX_BIGINT_DOUBLE];
    default:
      return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  }
}

/**
 * Turns rows into a ColumnBatch, its texts coded with `dictionary` (grown as new texts come). A
 * number its column cannot hold (columnRange) is staged as null and counted in `nulled`
 * (`table.column` → how many).
 */
export function toColumns(
  table: string,
  specs: ColumnSpec[],
  rows: Row[],
  dictionary: { codes: Map<string, number>; texts: string[] },
  nulled: Record<string, number> = {},
): ColumnBatch {
  const n = rows.length;
  const columns = specs.map((spec, c) => {
    if (spec.staged === "DOUBLE") {
      const out = new Float64Array(n);
      const [low, high] = columnRange(spec);
      let dropped = 0;
      for (let r = 0; r < n; r++) {
        const value = stagedNumber((rows[r] as Row)[c]);
        // NaN (null) fails both comparisons: kept as it is.
        if (value < low || value > high) {
          out[r] = Number.NaN;
          dropped++;
        } else out[r] = value;
      }
      if (dropped > 0) nulled[`${table}.${spec.name}`] = (nulled[`${table}.${spec.name}`] ?? 0) + dropped;
      return out;
    }
    if (spec.staged === "CODE") {
      const out = new Int32Array(n);
      for (let r = 0; r < n; r++) {
        const value = (rows[r] as Row)[c];
        if (value === null || value === undefined) continue;
        const text = String(value);
        let code = dictionary.codes.get(text);
        if (code === undefined) {
          code = dictionary.texts.push(text);
          dictionary.codes.set(text, code);
        }
        out[r] = code;
      }
      return out;
    }
    const out = new Array<string | null>(n);
    for (let r = 0; r < n; r++) {
      const value = (rows[r] as Row)[c];
      out[r] = value === null || value === undefined ? null : String(value);
    }
    return out;
  });
  return { table, rows: n, columns, dictionary: dictionary.texts };
}

/**
 * Reads one tenant's file (opened read-only, one snapshot): decides what to read from its
 * watermark and snapshot mark, hands each batch of rows to `sink` as columns (interactions in
 * id order, READ_ROWS at a time, then each retaken dimension), and says what it found. Throws
 * when the file cannot be opened (schema, owner, damage): nothing was handed to `sink` then.
 */
export function readTenant(request: ReadRequest, sink: (batch: ColumnBatch) => void): ReadOutcome {
  const began = performance.now();
  let reader: TenantReader;
  try {
    reader = TenantReader.open(request.dataDir, request.tenant);
  } catch (error) {
    throw new UnreadableFileError((error as Error).message);
  }
  const opened = performance.now();
  let outcome: ReadOutcome;
  try {
    outcome = readOpened(reader, request, sink);
  } catch (error) {
    try {
      reader.close();
    } catch {
      // The read's own error says more.
    }
    // A read that fails once the file is open (a page damaged past its header, an I/O error):
    // the file cannot be read now, as one that cannot be opened; the export skips it.
    if (isSQLiteError(error))
      throw new UnreadableFileError(`${(error as Error).message} (reading ${request.tenant.file})`);
    throw error;
  }
  const read = performance.now();
  try {
    reader.close();
  } catch (error) {
    if (isSQLiteError(error))
      throw new UnreadableFileError(`${(error as Error).message} (reading ${request.tenant.file})`);
    throw error;
  }
  outcome.phases = { ...outcome.phases, open: opened - began, close: performance.now() - read };
  return outcome;
}

/** An error SQLite raised (its code SQLITE_…), not one of the export's own. */
function isSQLiteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_");
}

function readOpened(
  reader: TenantReader,
  request: ReadRequest,
  handOver: (batch: ColumnBatch) => void,
): ReadOutcome {
  const began = performance.now();
  // Time handing batches over (to a thread's queue, waiting while too many rows are in flight).
  let handing = 0;
  const sink = (batch: ColumnBatch) => {
    const at = performance.now();
    handOver(batch);
    handing += performance.now() - at;
  };
  const dictionary = { codes: new Map<string, number>(), texts: [] as string[] };
  const nulled: Record<string, number> = {};
  const { watermark } = request;
  const { maxId, rewrote } = reader.logEnd(watermark);
  // Ids are exact as numbers up to 2^53 - 1 only (the watermark, the staged columns): a log past
  // it (raw SQL; the app's ids never reach it) is not exported rather than exported wrong.
  if (maxId > Number.MAX_SAFE_INTEGER)
    throw new UnreadableFileError(
      `its log holds an id past 9007199254740991 (2^53 - 1), which the export cannot hold exactly; renumber it or remove the row (${request.tenant.file})`,
    );
  // A file behind its watermark (put back from a backup) is rebuilt too; so is one whose row
  // at the watermark is gone or another (put back, then given new rows past the watermark).
  const rewritten =
    watermark > 0 &&
    (maxId < watermark ||
      (request.lastRow !== undefined && reader.rowMark(watermark) !== request.lastRow) ||
      rewrote);
  const fromZero = request.whole || rewritten;
  const planned = performance.now();
  let after = fromZero ? 0 : watermark;
  let rows = 0;
  for (;;) {
    const read = reader.interactions(after, maxId, READ_ROWS);
    if (read.length === 0) break;
    sink(toColumns(INTERACTIONS, INTERACTION_COLUMNS, read, dictionary, nulled));
    rows += read.length;
    after = Number(read[read.length - 1]?.[0]);
    if (read.length < READ_ROWS) break;
  }
  // A dimension's snapshot is taken again when its table changed since it was taken (its
  // mark moved), or the key did; new interactions alone retake none, and an idle
  // workspace's night costs no file at all.
  const logged = performance.now();
  const snapshotOf = snapshotMark(reader.changeCounter(), request.keyId, reader.marks());
  const retaken = dimensionsToRetake(request.snapshotOf, snapshotOf, fromZero);
  const key = Buffer.from(request.key);
  for (const dimension of DIMENSIONS) {
    if (!retaken.includes(dimension.name)) continue;
    let read: Row[] = reader.rows(dimension.select);
    if (dimension.name === "contacts")
      read = read.map((r) => [
        r[0] ?? null,
        r[1] ?? null,
        r[2] ?? null,
        emailHash(key, r[3] as string | null),
        r[4] ?? null,
        r[5] ?? null,
      ]);
    if (dimension.name === "workspace") read = read.map((r) => [r[0] ?? "UTC", request.exportedAt]);
    sink(toColumns(dimension.name, dimension.columns, read, dictionary, nulled));
  }
  const lastRow = maxId > 0 ? reader.rowMark(maxId) : undefined;
  const phases = {
    plan: planned - began,
    log: logged - planned,
    snapshots: performance.now() - logged,
    "hand over": handing,
  };
  return {
    maxId: Math.max(maxId, 0),
    rewritten,
    fromZero,
    rows,
    retaken,
    snapshotOf,
    lastRow,
    nulled,
    phases,
  };
}
