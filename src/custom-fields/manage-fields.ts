import { z } from "zod";
import { ValidationError } from "../core/errors.ts";
import { RECORD_TYPE_MESSAGE } from "../core/record-types.ts";
import { parseOrThrow, plainText } from "../core/validation.ts";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type FieldDefinition, getField, MAX_FIELDS_PER_ENTITY } from "./field-definitions.ts";
import { logValueChanges } from "./log-value-changes.ts";
import { CUSTOM_FIELD_ENTITIES, CUSTOM_FIELD_TYPES } from "./schema.ts";

// Changing the workspace's custom fields: owners and admins only. Each change checks the
// actor's role before it reads its input, so the settings tab and the API pass one guard.

/**
 * A field's key: what the API and list parameters call it. Lower-case letters, digits and
 * underscores: it never reaches SQL text anyway (queries use the field's id), and it must be
 * safe in a URL and a JSON key.
 */
export const fieldKey = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, "use 1–40 lower-case letters, digits and _, starting with a letter");

/** A key made from a label ("Lead source" → lead_source); it may still fail `fieldKey` (a label of only symbols). */
export function keyFromLabel(label: string): string {
  return label
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[_0-9]+|_+$/g, "")
    .slice(0, 40)
    .replace(/_+$/, "");
}

const optionList = z
  .array(plainText(60).min(1, "must not be empty"))
  .max(50, "at most 50 options")
  .refine((options) => new Set(options).size === options.length, "options must be different");

export const fieldInput = z
  .object({
    entity: z.enum(CUSTOM_FIELD_ENTITIES, RECORD_TYPE_MESSAGE),
    key: fieldKey,
    label: plainText(60).min(1, "is required"),
    type: z.enum(CUSTOM_FIELD_TYPES, "must be text, number, date, select, multiselect or checkbox"),
    options: optionList.default([]),
  })
  .superRefine((f, ctx) => {
    const needsOptions = f.type === "select" || f.type === "multiselect";
    if (needsOptions && f.options.length === 0)
      ctx.addIssue({ code: "custom", path: ["options"], message: "a select needs options" });
    if (!needsOptions && f.options.length > 0)
      ctx.addIssue({ code: "custom", path: ["options"], message: "only selects have options" });
  });

export const fieldPatchInput = z
  .object({ label: plainText(60).min(1, "is required"), options: optionList })
  .partial();

/** Adds a field (admins and owners): `input` is checked against `fieldInput` after the role. */
export function createField(shard: Shard, actor: Actor, raw: unknown, now = Date.now()): FieldDefinition {
  requireRole(actor.role, "admin");
  const input = parseOrThrow(fieldInput, raw);
  const id = shard.transaction(() => {
    if (
      shard.statement("SELECT 1 FROM custom_fields WHERE entity = ? AND key = ?").get(input.entity, input.key)
    ) {
      throw new ValidationError([{ field: "key", message: `is already a ${input.entity} field` }]);
    }
    const count = (
      shard.statement("SELECT count(*) AS n FROM custom_fields WHERE entity = ?").get(input.entity) as {
        n: number;
      }
    ).n;
    if (count >= MAX_FIELDS_PER_ENTITY)
      throw new ValidationError([
        { field: "key", message: `at most ${MAX_FIELDS_PER_ENTITY} custom fields per kind of record` },
      ]);
    return (
      shard
        .statement(
          "INSERT INTO custom_fields (entity, key, label, type, options, position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .get(input.entity, input.key, input.label, input.type, JSON.stringify(input.options), count, now) as {
        id: number;
      }
    ).id;
  });
  return getField(shard, id);
}

/** A multiselect value (a JSON array) with only the options in `?` (a JSON array) kept, in order. */
const KEPT_OPTIONS =
  "(SELECT json_group_array(o.value) FROM json_each(custom_values.text_value) o WHERE o.value IN (SELECT value FROM json_each(?)))";

/**
 * Takes away the values of a select or multiselect that are no longer among `options`: a select
 * value goes, a multiselect keeps its other options (and goes when none is left). Each record
 * that changes is logged and touched (logValueChanges). Set-based: a few statements whatever
 * the number of records (scripts/bench/fan-out-writes.ts).
 */
function dropLostOptions(shard: Shard, actor: Actor, field: FieldDefinition, options: string[], now: number) {
  const list = JSON.stringify(options);
  if (field.type === "select") {
    const lost = "text_value NOT IN (SELECT value FROM json_each(?))";
    logValueChanges(shard, actor, field, { where: lost, whereParams: [list], next: "NULL" }, now);
    shard.statement(`DELETE FROM custom_values WHERE field_id = ? AND ${lost}`).run(field.id, list);
  }
  if (field.type === "multiselect") {
    const lost =
      "EXISTS (SELECT 1 FROM json_each(custom_values.text_value) WHERE value NOT IN (SELECT value FROM json_each(?)))";
    logValueChanges(
      shard,
      actor,
      field,
      {
        where: lost,
        whereParams: [list],
        next: `json(nullif(${KEPT_OPTIONS}, '[]'))`,
        nextParams: [list],
      },
      now,
    );
    shard
      .statement(`UPDATE custom_values SET text_value = ${KEPT_OPTIONS} WHERE field_id = ? AND ${lost}`)
      .run(list, field.id, list);
    shard.statement("DELETE FROM custom_values WHERE field_id = ? AND text_value = '[]'").run(field.id);
  }
}

/**
 * Renames a field or changes its options (admins and owners); values no longer among the options
 * are cleared, and the records that held them logged as updated.
 */
export function updateField(
  shard: Shard,
  actor: Actor,
  id: number,
  raw: unknown,
  now = Date.now(),
): FieldDefinition {
  requireRole(actor.role, "admin");
  getField(shard, id); // an unknown field is a 404 before its patch is read
  const patch = parseOrThrow(fieldPatchInput, raw);
  shard.transaction(() => {
    const field = getField(shard, id);
    const options = patch.options ?? field.options;
    if ((field.type === "select" || field.type === "multiselect") && options.length === 0) {
      throw new ValidationError([{ field: "options", message: "a select needs options" }]);
    }
    if (field.type !== "select" && field.type !== "multiselect" && patch.options?.length) {
      throw new ValidationError([{ field: "options", message: "only selects have options" }]);
    }
    shard
      .statement("UPDATE custom_fields SET label = ?, options = ? WHERE id = ?")
      .run(patch.label ?? field.label, JSON.stringify(options), id);
    dropLostOptions(shard, actor, field, options, now);
  });
  return getField(shard, id);
}

/**
 * Deletes a field and every value of it (admins and owners); the records that held a value are
 * logged as updated (`customFields.<key>: [old, null]`) and touched before the values go.
 */
export function deleteField(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  requireRole(actor.role, "admin");
  shard.transaction(() => {
    const field = getField(shard, id);
    logValueChanges(shard, actor, field, { where: "1", next: "NULL" }, now);
    shard.statement("DELETE FROM custom_fields WHERE id = ?").run(id);
  });
}
