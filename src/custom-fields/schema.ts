import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { RECORD_TYPES } from "../core/record-types.ts";

/** Every kind of record takes custom fields. */
export const CUSTOM_FIELD_ENTITIES = RECORD_TYPES;
export type CustomFieldEntity = (typeof CUSTOM_FIELD_ENTITIES)[number];

export const CUSTOM_FIELD_TYPES = ["text", "number", "date", "select", "multiselect", "checkbox"] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/**
 * A field a workspace adds to its contacts, companies or deals. Queries refer to it by id
 * only: its key and label never reach SQL text.
 */
export const customFields = sqliteTable(
  "custom_fields",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    entity: text("entity", { enum: CUSTOM_FIELD_ENTITIES }).notNull(),
    key: text("key").notNull(),
    label: text("label").notNull(),
    type: text("type", { enum: CUSTOM_FIELD_TYPES }).notNull(),
    /** For select and multiselect: the allowed options, a JSON array of strings. */
    options: text("options").notNull().default("[]"),
    position: integer("position").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("custom_fields_key_unique").on(t.entity, t.key),
    check("custom_fields_entity_check", sql`${t.entity} in ('contact', 'company', 'deal')`),
    check(
      "custom_fields_type_check",
      sql`${t.type} in ('text', 'number', 'date', 'select', 'multiselect', 'checkbox')`,
    ),
  ],
);

/**
 * One record's value of one custom field. Numbers, dates (as epoch days) and checkboxes (0/1)
 * are in `num_value`; text and selects in `text_value` (a multiselect as a JSON array).
 * Indexed both ways, so a field filters and sorts like a built-in column.
 */
export const customValues = sqliteTable(
  "custom_values",
  {
    fieldId: integer("field_id")
      .notNull()
      .references(() => customFields.id, { onDelete: "cascade" }),
    recordId: integer("record_id").notNull(),
    textValue: text("text_value"),
    numValue: real("num_value"),
  },
  (t) => [
    primaryKey({ columns: [t.fieldId, t.recordId] }),
    index("custom_values_num_idx").on(t.fieldId, t.numValue, t.recordId),
    index("custom_values_text_idx").on(t.fieldId, t.textValue, t.recordId),
  ],
);

export type CustomField = typeof customFields.$inferSelect;
