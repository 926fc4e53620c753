import { type FieldIssue, ValidationError } from "../core/errors.ts";
import type { RecordType } from "../core/record-types.ts";
import { type FieldDefinition, MAX_FIELDS_PER_ENTITY } from "../custom-fields/field-definitions.ts";
import { fieldKey, keyFromLabel } from "../custom-fields/manage-fields.ts";
import { hasRole, type Role } from "../identity/roles.ts";
import { fieldForHeader, IMPORT_FIELDS, normaliseHeader } from "./import-fields.ts";
import { DATE_ORDERS, type DateOrder } from "./parse-cells.ts";

/** A column's target: "" (left out), a built-in field's key, `cf:<key>` (a custom field), or `new` (a new text field named after the column). */
export type ColumnTarget = string;

/** How a file's columns become fields. */
export interface ImportMapping {
  /** One target per column, in the file's order. */
  targets: ColumnTarget[];
  dateOrder: DateOrder;
  /** Cells that say only `null` (any case) are read as empty. */
  nullAsEmpty: boolean;
}

/** A kind's fields without which a record cannot be made: at least one column must map to one of each group. */
const REQUIRED: Record<RecordType, { keys: string[]; message: string }> = {
  contact: { keys: ["firstName", "fullName"], message: "map a column to First name or Full name" },
  company: { keys: ["name"], message: "map a column to Name" },
  deal: { keys: ["title"], message: "map a column to Title" },
};

/**
 * The mapping a file gets before anyone looks: each column whose header names a field (in the
 * words of the usual CRM exports) maps to it, the first such column only when a name repeats;
 * a column named like a custom field maps to that field; the rest are left out.
 */
export function suggestMapping(
  kind: RecordType,
  columns: string[],
  customFields: FieldDefinition[],
): ImportMapping {
  const used = new Set<string>();
  const targets = columns.map((header) => {
    const field = fieldForHeader(kind, header);
    let target = field?.key ?? "";
    if (!target) {
      const normal = normaliseHeader(header);
      const custom = customFields.find(
        (f) => f.key === keyFromLabel(header) || normaliseHeader(f.label) === normal,
      );
      if (custom) target = `cf:${custom.key}`;
    }
    if (!target || used.has(target)) return "";
    used.add(target);
    return target;
  });
  // A file with First and Last name columns needs no Full name from a "Name" column too.
  if (used.has("fullName") && used.has("firstName")) targets[targets.indexOf("fullName")] = "";
  return { targets, dateOrder: "auto", nullAsEmpty: true };
}

/** What a column's target is called on screens and in messages. */
export function targetLabel(kind: RecordType, target: ColumnTarget, customFields: FieldDefinition[]): string {
  if (target === "") return "(left out)";
  if (target === "new") return "a new custom field";
  if (target.startsWith("cf:")) {
    const key = target.slice(3);
    return customFields.find((f) => f.key === key)?.label ?? key;
  }
  return IMPORT_FIELDS[kind].find((f) => f.key === target)?.label ?? target;
}

/**
 * Reads the mapping screen's form (`col_<i>` per column, `dateOrder`, `nullAsEmpty`) and checks
 * it: every target is a field of the kind, a custom field of the workspace, or `new` (admins
 * and owners only: it adds a custom field); no field is read from two columns; the fields a
 * record needs are mapped. Throws a ValidationError naming the column's form field.
 */
export function parseMapping(
  kind: RecordType,
  columns: string[],
  form: Record<string, string>,
  customFields: FieldDefinition[],
  role: Role,
): ImportMapping {
  const issues: FieldIssue[] = [];
  const builtIn = new Set(IMPORT_FIELDS[kind].map((f) => f.key));
  const custom = new Set(customFields.map((f) => f.key));
  const firstColumn = new Map<string, number>();
  const targets = columns.map((_, i) => {
    const target = (form[`col_${i}`] ?? "").trim();
    const field = `col_${i}`;
    if (target === "") return "";
    const known =
      builtIn.has(target) || (target.startsWith("cf:") && custom.has(target.slice(3))) || target === "new";
    if (!known) {
      issues.push({ field, message: "is not a field of this kind of record" });
      return "";
    }
    if (target === "new" && !hasRole(role, "admin")) {
      issues.push({ field, message: "only admins and owners can add custom fields" });
      return "";
    }
    if (target !== "new") {
      const first = firstColumn.get(target);
      if (first !== undefined) {
        issues.push({
          field,
          message: `${targetLabel(kind, target, customFields)} is already read from column ${first + 1} (${columns[first]})`,
        });
        return "";
      }
      firstColumn.set(target, i);
    }
    return target;
  });
  const required = REQUIRED[kind];
  if (!required.keys.some((key) => targets.includes(key)))
    issues.push({ field: "mapping", message: required.message });
  const added = targets.filter((t) => t === "new").length;
  if (added > 0 && customFields.length + added > MAX_FIELDS_PER_ENTITY)
    issues.push({
      field: "mapping",
      message: `at most ${MAX_FIELDS_PER_ENTITY} custom fields per kind of record: this would make ${customFields.length + added}`,
    });
  const dateOrder = (form.dateOrder ?? "auto") as DateOrder;
  if (!DATE_ORDERS.includes(dateOrder))
    issues.push({ field: "dateOrder", message: "must be auto, mdy or dmy" });
  if (issues.length) throw new ValidationError(issues);
  return { targets, dateOrder, nullAsEmpty: form.nullAsEmpty === "on" || form.nullAsEmpty === "true" };
}

/**
 * The keys the new custom fields of `mapping` get: made from their column's header, unique
 * among the workspace's fields and each other; `column_<n>` when a header has no letters.
 */
export function newFieldKeys(
  columns: string[],
  mapping: ImportMapping,
  customFields: FieldDefinition[],
): Map<number, { key: string; label: string }> {
  const taken = new Set(customFields.map((f) => f.key));
  const out = new Map<number, { key: string; label: string }>();
  mapping.targets.forEach((target, i) => {
    if (target !== "new") return;
    const header = (columns[i] ?? "").trim();
    let base = keyFromLabel(header).slice(0, 36);
    if (!fieldKey.safeParse(base).success) base = `column_${i + 1}`;
    let key = base;
    for (let n = 2; taken.has(key); n++) key = `${base}_${n}`;
    taken.add(key);
    out.set(i, { key, label: (header || `Column ${i + 1}`).slice(0, 60) });
  });
  return out;
}
