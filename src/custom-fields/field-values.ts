import { type FieldIssue, ValidationError } from "../core/errors.ts";
import { textProblem } from "../core/validation.ts";
import { isCalendarDay } from "../lists/list-params.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type FieldDefinition, MAX_FIELDS_PER_ENTITY } from "./field-definitions.ts";
import type { CustomFieldEntity } from "./schema.ts";

/** A record's custom values by field key: string, number, "YYYY-MM-DD", boolean or string[]. */
export type CustomValues = Record<string, string | number | boolean | string[] | null>;

const DAY_MS = 86_400_000;

export interface Stored {
  text: string | null;
  num: number | null;
}

function issue(field: FieldDefinition, message: string): FieldIssue {
  return { field: `customFields.${field.key}`, message };
}

/**
 * Checks one value against its field's type and turns it into what is stored. `fromForm`
 * accepts the strings a form sends ("on", "1,5", "2026-01-31", a list of options).
 */
function toStored(field: FieldDefinition, value: unknown, fromForm: boolean): Stored | FieldIssue | null {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0))
    return null;
  switch (field.type) {
    case "text": {
      if (typeof value !== "string") return issue(field, "must be text");
      if (value.length > 500) return issue(field, "must be at most 500 characters of text");
      const problem = textProblem(value, true);
      if (problem) return issue(field, problem);
      return { text: value.trim(), num: null };
    }
    case "number": {
      const n =
        typeof value === "number"
          ? value
          : fromForm && typeof value === "string"
            ? Number(value.replace(/,/g, ""))
            : Number.NaN;
      if (!Number.isFinite(n) || Math.abs(n) > 1e15) return issue(field, "must be a number");
      return { text: null, num: n };
    }
    case "date": {
      if (typeof value !== "string" || !isCalendarDay(value)) {
        return issue(field, "must be a date like 2026-01-31");
      }
      return { text: value, num: Date.parse(`${value}T00:00:00Z`) / DAY_MS };
    }
    case "checkbox": {
      const on = value === true || (fromForm && (value === "on" || value === "true" || value === "1"));
      const off = value === false || (fromForm && (value === "false" || value === "0"));
      if (!on && !off) return issue(field, "must be true or false");
      return { text: null, num: on ? 1 : 0 };
    }
    case "select":
      if (typeof value !== "string" || !field.options.includes(value))
        return issue(field, `must be one of: ${field.options.join(", ")}`);
      return { text: value, num: null };
    case "multiselect": {
      const list = Array.isArray(value) ? value : fromForm && typeof value === "string" ? [value] : null;
      if (!list?.every((v) => typeof v === "string" && field.options.includes(v))) {
        return issue(field, `must be a list of: ${field.options.join(", ")}`);
      }
      return { text: JSON.stringify([...new Set(list as string[])].sort()), num: null };
    }
  }
}

/** What a stored value reads back as. */
export function fromStored(field: FieldDefinition, stored: Stored): CustomValues[string] {
  switch (field.type) {
    case "number":
      return stored.num;
    case "checkbox":
      return stored.num === 1;
    case "multiselect":
      return stored.text ? (JSON.parse(stored.text) as string[]) : [];
    default:
      return stored.text;
  }
}

export type ParsedCustomValues = Map<number, Stored | null>;

/**
 * Validates submitted custom values against the workspace's fields (an unknown key is an
 * error, naming it): null or empty clears a value. Throws a ValidationError naming each bad one.
 * More keys than a kind of record can have fields is refused at once, as one issue, before
 * any is looked at: 15,000 unknown keys would otherwise be 15,000 issues.
 */
export function parseCustomValues(
  fields: FieldDefinition[],
  raw: unknown,
  fromForm = false,
): ParsedCustomValues {
  const parsed: ParsedCustomValues = new Map();
  if (raw === undefined) return parsed;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ValidationError([
      { field: "customFields", message: "must be an object of field keys and values" },
    ]);
  }
  const keys = Object.keys(raw).length;
  if (keys > Math.max(fields.length, MAX_FIELDS_PER_ENTITY)) {
    throw new ValidationError([
      {
        field: "customFields",
        message: `has ${keys} keys; a kind of record has at most ${MAX_FIELDS_PER_ENTITY} custom fields`,
      },
    ]);
  }
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const issues: FieldIssue[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = byKey.get(key);
    if (!field) {
      issues.push({ field: `customFields.${key}`, message: "is not a custom field of this workspace" });
      continue;
    }
    const stored = toStored(field, value, fromForm);
    if (stored && "message" in stored) issues.push(stored);
    else parsed.set(field.id, stored);
  }
  if (issues.length) throw new ValidationError(issues);
  return parsed;
}

/**
 * Writes parsed values for one record (inside its write transaction) and returns what
 * changed, by key, as [old, new] for the interaction log.
 */
export function writeCustomValues(
  shard: Shard,
  fields: FieldDefinition[],
  recordId: number,
  values: ParsedCustomValues,
): Record<string, [unknown, unknown]> {
  const before = readCustomValues(shard, fields, [recordId]).get(recordId) ?? {};
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [fieldId, stored] of values) {
    const field = fields.find((f) => f.id === fieldId) as FieldDefinition;
    if (stored === null) {
      shard
        .statement("DELETE FROM custom_values WHERE field_id = ? AND record_id = ?")
        .run(fieldId, recordId);
    } else {
      shard
        .statement(
          `INSERT INTO custom_values (field_id, record_id, text_value, num_value) VALUES (?, ?, ?, ?)
           ON CONFLICT (field_id, record_id) DO UPDATE SET text_value = excluded.text_value, num_value = excluded.num_value`,
        )
        .run(fieldId, recordId, stored.text, stored.num);
    }
    const old = before[field.key] ?? null;
    const next = stored === null ? null : fromStored(field, stored);
    if (JSON.stringify(old) !== JSON.stringify(next)) changes[`customFields.${field.key}`] = [old, next];
  }
  return changes;
}

/** The custom values of some records, by record id then field key (fields without a value are absent). */
export function readCustomValues(
  shard: Shard,
  fields: FieldDefinition[],
  recordIds: number[],
): Map<number, CustomValues> {
  const out = new Map<number, CustomValues>();
  if (fields.length === 0 || recordIds.length === 0) return out;
  const rows = shard
    .statement(
      `SELECT field_id AS fieldId, record_id AS recordId, text_value AS text, num_value AS num FROM custom_values
       WHERE field_id IN (SELECT value FROM json_each(?)) AND record_id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(fields.map((f) => f.id)), JSON.stringify(recordIds)) as {
    fieldId: number;
    recordId: number;
    text: string | null;
    num: number | null;
  }[];
  for (const row of rows) {
    const field = fields.find((f) => f.id === row.fieldId);
    if (!field) continue;
    let values = out.get(row.recordId);
    if (!values) {
      values = {};
      out.set(row.recordId, values);
    }
    values[field.key] = fromStored(field, row);
  }
  return out;
}

export type { CustomFieldEntity };

/** Service input that may carry custom values (already parsed against the workspace's fields). */
export type WithCustomFields<T> = T & { customFields?: ParsedCustomValues };
