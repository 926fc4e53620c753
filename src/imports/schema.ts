import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Where an import is: its file read and waiting for a mapping (`uploaded`), dry run done
 * (`checked`), writing (`running`), finished (`done`), stopped and compensated (`cancelled`,
 * `failed`), or taken back as a whole (`undone`).
 */
export const IMPORT_STATUSES = [
  "uploaded",
  "checked",
  "running",
  "done",
  "failed",
  "cancelled",
  "undone",
] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/**
 * A CSV file someone brought in: what was read of it (encoding, delimiter, header, a few
 * sample rows), how its columns map to fields, what the dry run and the run counted, and
 * where the file and its report of rejected rows are (relative to the data directory). The
 * rows it touched are in import_rows.
 */
export const imports = sqliteTable(
  "imports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** contact, company or deal. */
    kind: text("kind").notNull(),
    status: text("status", { enum: IMPORT_STATUSES }).notNull(),
    /** The name the file had on the person's computer: shown, never used as a path. */
    fileName: text("file_name").notNull(),
    /** The uploaded file under the data directory; null once it is no longer needed. */
    storedFile: text("stored_file"),
    sizeBytes: integer("size_bytes").notNull(),
    encoding: text("encoding").notNull(),
    delimiter: text("delimiter").notNull(),
    /** JSON: the header row's names, in order. */
    columns: text("columns").notNull(),
    /** JSON: up to five rows, each cell cut short, for the mapping screen. */
    sample: text("sample").notNull(),
    /** JSON: ImportMapping (a target per column, the date order, how `null` reads). */
    mapping: text("mapping"),
    /** JSON: the dry run's counts and first rejected rows. */
    checked: text("checked"),
    /** JSON: what the run did. */
    outcome: text("outcome"),
    /** The CSV of rejected rows of the last dry run or run, under the data directory. */
    reportFile: text("report_file"),
    /** The background task of the latest dry run, run or undo. */
    taskId: integer("task_id"),
    createdBy: integer("created_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("imports_created_idx").on(t.createdAt, t.id),
    check(
      "imports_status_check",
      sql`${t.status} in ('uploaded', 'checked', 'running', 'done', 'failed', 'cancelled', 'undone')`,
    ),
  ],
);

/**
 * Every record an import created or changed, with what it held before (for a change) and what
 * the import wrote: what Cancel, a failure and Undo take back. Also the custom fields and tags
 * it created. Written in the same transaction as the change itself.
 */
export const importRows = sqliteTable(
  "import_rows",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    importId: integer("import_id")
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    /** contact, company, deal, tag or field. */
    subjectType: text("subject_type").notNull(),
    subjectId: integer("subject_id").notNull(),
    action: text("action", { enum: ["created", "updated"] }).notNull(),
    /** JSON: the changed fields' values before the import (updates only). */
    before: text("before"),
    /** JSON: the values the import wrote (updates only): Undo leaves a field someone changed since. */
    after: text("after"),
    /** The file's row (the header is row 1). */
    row: integer("row"),
  },
  (t) => [
    index("import_rows_import_idx").on(t.importId, t.id),
    check("import_rows_action_check", sql`${t.action} in ('created', 'updated')`),
  ],
);

export type ImportRecord = typeof imports.$inferSelect;
export type ImportRow = typeof importRows.$inferSelect;
