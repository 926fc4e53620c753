import { NotFoundError, ValidationError } from "../core/errors.ts";
import type { RecordType } from "../core/record-types.ts";
import { hasRole, requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ImportEncoding } from "./detect-format.ts";
import type { ImportMapping } from "./import-mapping.ts";
import type { ImportRecord, ImportStatus } from "./schema.ts";

/** What the dry run found: counts, the first rejected rows with their reasons. */
export interface ImportCounts {
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: number;
  /** Companies made for contacts and deals that name a company not in the workspace. */
  newCompanies: number;
  /** The first rejected rows, for the page (the report has them all). */
  examples: { row: number; reasons: string[] }[];
  /** The run was interrupted (the server stopped) and what it wrote was taken back at the next start. */
  interrupted?: boolean;
}

/** An import as pages and tasks read it: its JSON columns parsed. */
export interface ImportView {
  id: number;
  kind: RecordType;
  status: ImportStatus;
  fileName: string;
  storedFile: string | null;
  sizeBytes: number;
  encoding: ImportEncoding;
  delimiter: string;
  columns: string[];
  sample: { rows: string[][]; estimatedRows: number; note?: string };
  mapping: ImportMapping | null;
  checked: ImportCounts | null;
  outcome: ImportCounts | null;
  reportFile: string | null;
  taskId: number | null;
  createdBy: number | null;
  createdAt: number;
  updatedAt: number;
  /** A run wrote records that were not taken back yet (what Undo would remove or restore). */
  hasWrites: boolean;
}

const COLUMNS = `id, kind, status, file_name AS fileName, stored_file AS storedFile, size_bytes AS sizeBytes,
  encoding, delimiter, columns, sample, mapping, checked, outcome, report_file AS reportFile, task_id AS taskId,
  created_by AS createdBy, created_at AS createdAt, updated_at AS updatedAt`;

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function toView(shard: Shard, row: ImportRecord): ImportView {
  const written = shard.statement("SELECT 1 AS yes FROM import_rows WHERE import_id = ? LIMIT 1").get(row.id);
  return {
    ...row,
    kind: row.kind as RecordType,
    encoding: row.encoding as ImportEncoding,
    columns: JSON.parse(row.columns) as string[],
    sample: JSON.parse(row.sample) as ImportView["sample"],
    mapping: json<ImportMapping>(row.mapping),
    checked: json<ImportCounts>(row.checked),
    outcome: json<ImportCounts>(row.outcome),
    hasWrites: written !== null,
  };
}

/** What reading a file told (the inspect task's answer). */
export interface ImportFile {
  kind: RecordType;
  fileName: string;
  storedFile: string;
  sizeBytes: number;
  encoding: ImportEncoding;
  delimiter: string;
  columns: string[];
  sample: { rows: string[][]; estimatedRows: number; note?: string };
  mapping: ImportMapping;
}

/** Records an uploaded file (members and up), waiting for its mapping; returns its id. */
export function createImport(shard: Shard, actor: Actor, file: ImportFile, now = Date.now()): number {
  requireRole(actor.role, "member");
  const row = shard
    .statement(
      `INSERT INTO imports (kind, status, file_name, stored_file, size_bytes, encoding, delimiter, columns, sample,
         mapping, created_by, created_at, updated_at)
       VALUES (?, 'uploaded', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(
      file.kind,
      file.fileName,
      file.storedFile,
      file.sizeBytes,
      file.encoding,
      file.delimiter,
      JSON.stringify(file.columns),
      JSON.stringify(file.sample),
      JSON.stringify(file.mapping),
      actor.id,
      now,
      now,
    ) as { id: number };
  return row.id;
}

/**
 * The import with `id`, if `actor` may see it: whoever started it, and owners and admins (as
 * with background tasks). Any other id, another workspace's included, is a 404.
 */
export function getImport(shard: Shard, actor: Actor, id: number): ImportView {
  const row = shard.statement(`SELECT ${COLUMNS} FROM imports WHERE id = ?`).get(id) as ImportRecord | null;
  if (!row || (row.createdBy !== actor.id && !hasRole(actor.role, "admin")))
    throw new NotFoundError("import");
  return toView(shard, row);
}

/** An import by id for a task (which acts for whoever started it). */
export function readImport(shard: Shard, id: number): ImportView {
  const row = shard.statement(`SELECT ${COLUMNS} FROM imports WHERE id = ?`).get(id) as ImportRecord | null;
  if (!row) throw new NotFoundError("import");
  return toView(shard, row);
}

/** The imports `actor` may see, newest first. */
export function recentImports(shard: Shard, actor: Actor, limit = 50): ImportView[] {
  const everyone = hasRole(actor.role, "admin");
  const rows = shard
    .statement(`SELECT ${COLUMNS} FROM imports WHERE (? OR created_by = ?) ORDER BY id DESC LIMIT ?`)
    .all(everyone ? 1 : 0, actor.id, limit) as ImportRecord[];
  return rows.map((row) => toView(shard, row));
}

/** Refuses a step the import is not ready for, naming what it is doing instead. */
export function requireStatus(record: ImportView, allowed: ImportStatus[], action: string): void {
  if (!allowed.includes(record.status))
    throw new ValidationError([
      { field: "status", message: `this import is ${record.status}: it cannot ${action} now` },
    ]);
}

/** Saves a new mapping (members and up); the dry run must be done again. */
export function saveMapping(
  shard: Shard,
  actor: Actor,
  id: number,
  mapping: ImportMapping,
  now = Date.now(),
): void {
  requireRole(actor.role, "member");
  const record = getImport(shard, actor, id);
  requireStatus(record, ["uploaded", "checked"], "change its mapping");
  shard
    .statement(
      "UPDATE imports SET mapping = ?, checked = NULL, status = 'uploaded', updated_at = ? WHERE id = ?",
    )
    .run(JSON.stringify(mapping), now, id);
}

/** Replaces what was read of the file (read again in another encoding or with another delimiter). */
export function saveFormat(
  shard: Shard,
  actor: Actor,
  id: number,
  file: Pick<ImportFile, "encoding" | "delimiter" | "columns" | "sample" | "mapping">,
  now = Date.now(),
): void {
  requireRole(actor.role, "member");
  const record = getImport(shard, actor, id);
  requireStatus(record, ["uploaded", "checked"], "be read again");
  shard
    .statement(
      `UPDATE imports SET encoding = ?, delimiter = ?, columns = ?, sample = ?, mapping = ?, checked = NULL,
         status = 'uploaded', updated_at = ? WHERE id = ?`,
    )
    .run(
      file.encoding,
      file.delimiter,
      JSON.stringify(file.columns),
      JSON.stringify(file.sample),
      JSON.stringify(file.mapping),
      now,
      id,
    );
}

/** Links the import to the background task doing its dry run, run or undo. */
export function setImportTask(shard: Shard, id: number, taskId: number, now = Date.now()): void {
  shard.statement("UPDATE imports SET task_id = ?, updated_at = ? WHERE id = ?").run(taskId, now, id);
}

/** Moves an import to `status`, with what its task found or did. */
export function setImportStatus(
  shard: Shard,
  id: number,
  status: ImportStatus,
  fields: { checked?: ImportCounts | null; outcome?: ImportCounts | null; reportFile?: string | null } = {},
  now = Date.now(),
): void {
  shard
    .statement(
      `UPDATE imports SET status = ?,
         checked = CASE WHEN ? THEN ? ELSE checked END,
         outcome = CASE WHEN ? THEN ? ELSE outcome END,
         report_file = CASE WHEN ? THEN ? ELSE report_file END,
         updated_at = ? WHERE id = ?`,
    )
    .run(
      status,
      fields.checked === undefined ? 0 : 1,
      fields.checked ? JSON.stringify(fields.checked) : null,
      fields.outcome === undefined ? 0 : 1,
      fields.outcome ? JSON.stringify(fields.outcome) : null,
      fields.reportFile === undefined ? 0 : 1,
      fields.reportFile ?? null,
      now,
      id,
    );
}

/** Forgets the uploaded file (it was deleted: the import ran, or was discarded). */
export function clearStoredFile(shard: Shard, id: number): void {
  shard.statement("UPDATE imports SET stored_file = NULL WHERE id = ?").run(id);
}

/** Deletes an import that never wrote anything (members and up: their own, or admins any). Returns its files. */
export function discardImport(shard: Shard, actor: Actor, id: number): string[] {
  requireRole(actor.role, "member");
  const record = getImport(shard, actor, id);
  requireStatus(record, ["uploaded", "checked", "failed", "cancelled", "undone"], "be discarded");
  if (record.hasWrites)
    throw new ValidationError([
      { field: "status", message: "undo what this import wrote before discarding it" },
    ]);
  shard.statement("DELETE FROM imports WHERE id = ?").run(id);
  return [record.storedFile, record.reportFile].filter((f): f is string => f !== null);
}

/**
 * Marks an import as running (members and up), or refuses: an import runs once. Pages run only
 * a checked import (the person saw its dry run); the command line may run one straight away.
 */
export function claimRun(
  shard: Shard,
  actor: Actor,
  id: number,
  from: ImportStatus[] = ["checked"],
  now = Date.now(),
): ImportView {
  requireRole(actor.role, "member");
  const record = getImport(shard, actor, id);
  requireStatus(record, from, "run (check it first)");
  const claimed = shard
    .statement(
      "UPDATE imports SET status = 'running', updated_at = ? WHERE id = ? AND status IN (SELECT value FROM json_each(?))",
    )
    .run(now, id, JSON.stringify(from));
  if (claimed.changes !== 1) requireStatus(readImport(shard, id), from, "run");
  return record;
}

/** Checks that an import has something to undo (members and up: their own, or admins any). */
export function checkUndo(shard: Shard, actor: Actor, id: number): ImportView {
  requireRole(actor.role, "member");
  const record = getImport(shard, actor, id);
  requireStatus(record, ["done", "running", "failed", "cancelled"], "be undone");
  if (!record.hasWrites)
    throw new ValidationError([{ field: "status", message: "this import has nothing left to undo" }]);
  return record;
}
