import type { Database } from "bun:sqlite";
import type { CustomFieldEntity } from "../custom-fields/field-values.ts";

/**
 * The name a reference column gets beside it in the workspace's CSVs: `company_id` is followed
 * by `company_name`, read from the table it points to (one primary-key lookup per row).
 */
const NAMES: Record<string, { column: string; sql: (id: string) => string }> = {
  company_id: { column: "company_name", sql: (id) => `(SELECT name FROM companies WHERE id = ${id})` },
  owner_id: { column: "owner_name", sql: (id) => `(SELECT name FROM users WHERE id = ${id})` },
  assignee_id: { column: "assignee_name", sql: (id) => `(SELECT name FROM users WHERE id = ${id})` },
  author_id: { column: "author_name", sql: (id) => `(SELECT name FROM users WHERE id = ${id})` },
  pipeline_id: { column: "pipeline_name", sql: (id) => `(SELECT name FROM pipelines WHERE id = ${id})` },
  stage_id: { column: "stage_name", sql: (id) => `(SELECT name FROM stages WHERE id = ${id})` },
  contact_id: {
    column: "contact_name",
    sql: (id) =>
      `(SELECT CASE WHEN last_name = '' THEN first_name ELSE first_name || ' ' || last_name END FROM contacts WHERE id = ${id})`,
  },
  deal_id: { column: "deal_name", sql: (id) => `(SELECT title FROM deals WHERE id = ${id})` },
};

/**
 * Tables whose references get names beside them: the records and what people read with them.
 * The logs (interactions, events: up to millions of rows) stay as they are, ids only.
 */
const NAMED_TABLES = new Set(["contacts", "companies", "deals", "deal_contacts", "tasks", "notes", "stages"]);

/** The tables whose rows carry custom fields, as columns after their own. */
export const CUSTOM_FIELD_TABLES: Record<string, CustomFieldEntity> = {
  contacts: "contact",
  companies: "company",
  deals: "deal",
};

/** How one table of the archive is read: its query, its headers, and which of its columns are times. */
export interface TableRead {
  sql: string;
  headers: string[];
  /** Positions (in `headers`) of the epoch-millisecond times (`*_at`), written as ISO 8601 in the zone. */
  times: number[];
}

/**
 * The query of one exported table and its headers: its columns (all, or the listed ones) in
 * their order, each reference followed by the name it points to, each time's header naming
 * `zone` ("created_at (Europe/Paris)"). Table and column names come from the archive's constant
 * list and the file's own schema, never from a request.
 */
export function tableRead(db: Database, table: string, columns: string, zone: string): TableRead {
  const own =
    columns === "*"
      ? (
          db.query(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).all() as { name: string }[]
        ).map((c) => c.name)
      : columns.split(",").map((c) => c.trim());
  const select: string[] = [];
  const headers: string[] = [];
  const times: number[] = [];
  for (const column of own) {
    const quoted = `t."${column}"`;
    if (column.endsWith("_at")) {
      times.push(headers.length);
      headers.push(`${column} (${zone})`);
    } else headers.push(column);
    select.push(quoted);
    const name = NAMES[column];
    if (name && NAMED_TABLES.has(table) && !own.includes(name.column)) {
      select.push(`${name.sql(quoted)} AS "${name.column}"`);
      headers.push(name.column);
    }
  }
  return { sql: `SELECT ${select.join(", ")} FROM "${table}" t ORDER BY t.rowid`, headers, times };
}
