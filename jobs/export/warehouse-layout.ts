import { createHash } from "node:crypto";
import { join } from "node:path";

/**
 * The warehouse's layout (docs/decisions/0008, README "Analytics: the warehouse"): 64 tenant
 * buckets, Iceberg's bucket transform in Hive-style folders every engine reads.
 *   interactions/bucket=NN/part-<n>.parquet     columns tenant, day, then INTERACTION_COLUMNS;
 *                                               rows sorted by tenant, id
 *   <dimension>/bucket=NN/snapshot-<n>.parquet  columns tenant, then the dimension's; one per bucket
 *   _state/manifest.json   the warehouse's truth: every live file with its size, each tenant's
 *                          watermark; written last (readers read only the files it lists)
 *   _staging/              DuckDB's spill folder while an export runs
 * NN = bucketOf(tenant id). Folders starting with "_" are the export's own.
 */
export const INTERACTIONS = "interactions";
export const STATE_DIR = "_state";
export const STAGING_DIR = "_staging";
/** Present while an export runs: a rerun that finds it knows the last one stopped half way. */
export const RUNNING_MARK = "_state/running";

/**
 * A column as staged in DuckDB and as written to Parquet. Numbers are staged as DOUBLE (ids
 * reach 2^48; NaN stands for null, so no per-value validity is written); a text of few distinct
 * values (a kind, a role, a status) as CODE, an INTEGER standing for its text in the export's
 * dictionary (0 for null), so no text crosses to DuckDB per row; any other text as VARCHAR.
 */
export interface ColumnSpec {
  name: string;
  staged: "DOUBLE" | "VARCHAR" | "CODE";
  /** The expression over the staged column that gives the Parquet column's type. */
  out: "BIGINT" | "INTEGER" | "TIMESTAMP" | "VARCHAR";
}

const id = (name: string): ColumnSpec => ({ name, staged: "DOUBLE", out: "BIGINT" });
const int = (name: string): ColumnSpec => ({ name, staged: "DOUBLE", out: "INTEGER" });
const time = (name: string): ColumnSpec => ({ name, staged: "DOUBLE", out: "TIMESTAMP" });
const text = (name: string): ColumnSpec => ({ name, staged: "VARCHAR", out: "VARCHAR" });
/** A text of few distinct values: staged as a code of the export's dictionary. */
const code = (name: string): ColumnSpec => ({ name, staged: "CODE", out: "VARCHAR" });

/** The interactions' columns in each part file, after `tenant` (VARCHAR) and `day` (DATE, UTC). */
export const INTERACTION_COLUMNS: ColumnSpec[] = [
  id("id"),
  time("occurred_at"),
  code("actor_type"),
  id("actor_id"),
  code("kind"),
  code("subject_type"),
  id("subject_id"),
  id("stage_from"),
  id("stage_to"),
];

/** A dimension snapshot: its columns and the statement reading them from a tenant's file (same order). */
export interface DimensionSpec {
  name: string;
  columns: ColumnSpec[];
  select: string;
  /**
   * The file's table it reads, whose mark (`export_marks`, tenant migration 0012) every change
   * of a column the snapshot holds replaces: a snapshot is retaken when its table's mark moved.
   */
  source: string;
}

/**
 * The dimensions, rewritten whole per tenant on each export. No names of people, phones,
 * titles or free text: `contacts.email_hash` is filled by the export (the statement reads the
 * email, which never leaves the process). Stage and pipeline names are the workspace's own labels.
 */
export const DIMENSIONS: DimensionSpec[] = [
  {
    name: "contacts",
    source: "contacts",
    columns: [
      id("id"),
      id("company_id"),
      id("owner_id"),
      text("email_hash"),
      time("created_at"),
      time("updated_at"),
    ],
    select: "SELECT id, company_id, owner_id, email, created_at, updated_at FROM contacts ORDER BY id",
  },
  {
    name: "companies",
    source: "companies",
    columns: [id("id"), id("owner_id"), time("created_at"), time("updated_at")],
    select: "SELECT id, owner_id, created_at, updated_at FROM companies ORDER BY id",
  },
  {
    name: "deals",
    source: "deals",
    columns: [
      id("id"),
      id("pipeline_id"),
      id("stage_id"),
      id("company_id"),
      id("owner_id"),
      code("status"),
      id("amount_cents"),
      code("currency"),
      time("created_at"),
      time("closed_at"),
      time("stage_entered_at"),
    ],
    select:
      "SELECT id, pipeline_id, stage_id, company_id, owner_id, status, amount_cents, currency, created_at, closed_at, stage_entered_at FROM deals ORDER BY id",
  },
  {
    name: "deal_contacts",
    source: "deal_contacts",
    columns: [id("deal_id"), id("contact_id")],
    select: "SELECT deal_id, contact_id FROM deal_contacts ORDER BY deal_id, contact_id",
  },
  {
    name: "stages",
    source: "stages",
    columns: [id("id"), id("pipeline_id"), text("name"), int("position"), code("kind"), int("probability")],
    select: "SELECT id, pipeline_id, name, position, kind, probability FROM stages ORDER BY id",
  },
  {
    name: "pipelines",
    source: "pipelines",
    columns: [id("id"), text("name"), int("position")],
    select: "SELECT id, name, position FROM pipelines ORDER BY id",
  },
  {
    name: "users",
    source: "users",
    columns: [id("id"), code("role"), time("created_at")],
    select: "SELECT id, role, created_at FROM users ORDER BY id",
  },
  {
    name: "workspace",
    source: "workspace_settings",
    columns: [text("time_zone"), time("exported_at")],
    // exported_at is filled by the export.
    select:
      "SELECT coalesce((SELECT value FROM workspace_settings WHERE key = 'time_zone'), 'UTC') AS time_zone, 0 AS exported_at",
  },
];

/** Tenant ids go into paths: only ids made of these characters are exported (the catalog makes no others). */
const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/;

export function isSafeTenantId(tenantId: string): boolean {
  return SAFE_ID.test(tenantId);
}

/** The tenant buckets: a tenant's rows all live in its bucket's files. */
export const BUCKETS = 64;

/**
 * A tenant's bucket: the first 4 bytes of the SHA-256 of its id, modulo 64. Computed here, never
 * by an engine's own hash (DuckDB's changes between versions): any tool can find a tenant's files.
 */
export function bucketOf(tenantId: string): number {
  return createHash("sha256").update(tenantId).digest().readUInt32BE(0) % BUCKETS;
}

/** `bucket=07`: the folder of bucket 7 under each table. */
export const bucketFolder = (bucket: number) => `bucket=${String(bucket).padStart(2, "0")}`;

/** `bucket=07` → 7; anything else → undefined. */
export function bucketOfFolder(folder: string): number | undefined {
  const match = /^bucket=(\d{2})$/.exec(folder);
  const bucket = match ? Number(match[1]) : Number.NaN;
  return bucket >= 0 && bucket < BUCKETS ? bucket : undefined;
}

/** A file's path relative to the warehouse (as the manifest lists it): `<table>/bucket=NN/<name>`. */
export function bucketFile(table: string, bucket: number, n: number): string {
  const name = table === INTERACTIONS ? `part-${n}.parquet` : `snapshot-${n}.parquet`;
  return `${table}/${bucketFolder(bucket)}/${name}`;
}

const split = new Map<string, { table: string; bucket: number }>();

/** The table and bucket of a manifest entry (`interactions/bucket=07/part-3.parquet`). */
export function splitFile(file: string): { table: string; bucket: number } {
  let at = split.get(file);
  if (!at) {
    const [table = "", folder = ""] = file.split("/");
    at = { table, bucket: bucketOfFolder(folder) ?? -1 };
    // Asked for every listed file once per bucket and table: remembered (a few thousand names).
    if (split.size > 100_000) split.clear();
    split.set(file, at);
  }
  return at;
}

/** Exactly a name bucketFile makes: a known table, a bucket 00–63, its kind of file, a number. */
const FILE_NAME =
  /^([a-z_]{1,20})\/bucket=([0-5][0-9]|6[0-3])\/(part|snapshot)-(0|[1-9][0-9]{0,14})\.parquet$/;

/**
 * Whether a path (as a manifest lists it) is exactly one bucketFile can make: no `..`, no
 * absolute path, no other folder or name; anything else never names a warehouse file.
 */
export function isBucketFile(file: string): boolean {
  const match = FILE_NAME.exec(file);
  if (!match) return false;
  const table = match[1] ?? "";
  if (table === INTERACTIONS) return match[3] === "part";
  return match[3] === "snapshot" && DIMENSIONS.some((d) => d.name === table);
}

export const MANIFEST = "_state/manifest.json";

export const inWarehouse = (warehouse: string, file: string) => join(warehouse, file);

/**
 * The SQL expression turning a staged column into its Parquet type; `dictionary` is the SQL
 * list of the dictionary's texts (code n is its n-th; 0, null, indexes nothing).
 */
export function outExpression(column: ColumnSpec, dictionary: string): string {
  const name = `"${column.name}"`;
  const number = `nullif(${name}, 'NaN'::DOUBLE)`;
  if (column.staged === "CODE") return `(${dictionary})[nullif(${name}, 0)] AS ${name}`;
  switch (column.out) {
    case "BIGINT":
      return `CAST(${number} AS BIGINT) AS ${name}`;
    case "INTEGER":
      return `CAST(${number} AS INTEGER) AS ${name}`;
    case "TIMESTAMP":
      return `epoch_ms(CAST(${number} AS BIGINT)) AS ${name}`;
    case "VARCHAR":
      return name;
  }
}
