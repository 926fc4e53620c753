import { strToU8, zipSync } from "fflate";
import { getContact } from "../contacts/get-contact.ts";
import { runInTransaction } from "../tenancy/open-database.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type CsvValue, toCsv } from "./csv.ts";

const DAY_MS = 86_400_000;

type Row = Record<string, CsvValue>;

interface CustomValueRow {
  key: string;
  label: string;
  type: string;
  textValue: string | null;
  numValue: number | null;
}

/** Everything this person's record relates to, each query bound to the contact's id. */
const RELATED = {
  "interactions.csv":
    "SELECT * FROM interactions WHERE subject_type = 'contact' AND subject_id = ? ORDER BY id",
  // The events' half of the log has no index by contact: a scan (this runs in a worker).
  "events.csv": "SELECT * FROM events WHERE contact_id = ? ORDER BY id",
  "engagement.csv": "SELECT * FROM contact_engagement WHERE contact_id = ? ORDER BY kind",
  "notes.csv": "SELECT * FROM notes WHERE subject_type = 'contact' AND subject_id = ? ORDER BY id",
  "tasks.csv": "SELECT * FROM tasks WHERE subject_type = 'contact' AND subject_id = ? ORDER BY id",
  "deals.csv": `SELECT d.*, p.name AS pipeline_name, s.name AS stage_name, co.name AS company_name
    FROM deal_contacts dc JOIN deals d ON d.id = dc.deal_id
    JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
    LEFT JOIN companies co ON co.id = d.company_id
    WHERE dc.contact_id = ? ORDER BY d.id`,
} as const;

/** snake_case column → camelCase key; `*_at` columns (milliseconds, UTC) as ISO 8601. */
function personJsonEntry(column: string, value: CsvValue): [string, unknown] {
  const key = column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  if (column.endsWith("_at") && typeof value === "number") return [key, new Date(value).toISOString()];
  return [key, value];
}

/** A custom value as its field's type reads it (see custom-fields/schema.ts for the storage). */
function customValue(row: CustomValueRow): unknown {
  switch (row.type) {
    case "number":
      return row.numValue;
    case "date":
      return row.numValue === null ? null : new Date(row.numValue * DAY_MS).toISOString().slice(0, 10);
    case "checkbox":
      return row.numValue === null ? null : row.numValue !== 0;
    case "multiselect":
      return row.textValue === null ? [] : JSON.parse(row.textValue);
    default:
      return row.textValue;
  }
}

function personJson(shard: Shard, contactId: number, exportedAt: Date): string {
  const contact = getContact(shard, contactId);
  const row = shard.statement("SELECT * FROM contacts WHERE id = ?").get(contactId) as Row;
  const tags = shard
    .statement(
      "SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = ? ORDER BY t.name",
    )
    .values(contactId)
    .map(([name]) => name);
  const customFields = (
    shard
      .statement(
        `SELECT f.key, f.label, f.type, v.text_value AS textValue, v.num_value AS numValue
         FROM custom_values v JOIN custom_fields f ON f.id = v.field_id
         WHERE f.entity = 'contact' AND v.record_id = ? ORDER BY f.position, f.id`,
      )
      .all(contactId) as CustomValueRow[]
  ).map((field) => ({ key: field.key, label: field.label, type: field.type, value: customValue(field) }));
  const person = {
    ...Object.fromEntries(Object.entries(row).map(([column, value]) => personJsonEntry(column, value))),
    tags,
    companyName: contact.companyName,
    ownerName: contact.ownerName,
    customFields,
    exportedAt: exportedAt.toISOString(),
  };
  return JSON.stringify(person, null, 2);
}

function relatedCsv(shard: Shard, sql: string, contactId: number): string {
  const statement = shard.statement(sql);
  const rows = statement.values(contactId) as CsvValue[][];
  return toCsv(statement.columnNames, rows);
}

/**
 * Everything the workspace holds about one person, for a data subject access or portability
 * request (GDPR articles 15 and 20): a ZIP of person.json (the contact's columns, tags, company,
 * owner and custom fields) and one CSV each of its interactions, pushed events, engagement
 * (events summed up per kind), notes, tasks and deals.
 * 404 if the contact is not in this workspace.
 */
export function exportPerson(shard: Shard, contactId: number, now = new Date()): Uint8Array<ArrayBuffer> {
  // One read transaction: the files agree with each other even if someone writes meanwhile.
  return runInTransaction(
    shard.sqlite,
    () => {
      const files: Record<string, Uint8Array> = {
        "person.json": strToU8(personJson(shard, contactId, now)),
      };
      for (const [name, sql] of Object.entries(RELATED))
        files[name] = strToU8(relatedCsv(shard, sql, contactId));
      return zipSync(files, { level: 6, mtime: now });
    },
    "deferred",
  );
}
