import { z } from "zod";
import type { FieldIssue } from "../core/errors.ts";
import { nullable } from "../core/field-types.ts";
import { cleanText } from "../core/validation.ts";
import type { Shard } from "../tenancy/shard.ts";

/** How long an external id may be: room for any other system's key (a UUID, a URN, a path). */
export const EXTERNAL_ID_MAX = 255;

/**
 * `externalId`: the id another system knows a contact, company or deal by, so an integration
 * can find and upsert its records without keeping ours. Taken exactly as sent (no trimming, no
 * case folding: `ABC` and `abc` are two ids), 1–255 characters, clean by textProblem (no control
 * characters, and well-formed: a lone surrogate, which SQLite's UTF-8 would store as U+FFFD so
 * that two ids collide, is a 422; the JSON body's surrogate escapes are caught first, in
 * read-json.ts). Null clears it.
 */
export const externalIdInput = nullable(
  z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(EXTERNAL_ID_MAX, `must be at most ${EXTERNAL_ID_MAX} characters`)
    .superRefine(cleanText()),
);

/** The tables that carry an external id (constants, never request text). */
export type ExternalIdTable = "contacts" | "companies" | "deals";

/** The record of `table` whose external id is `externalId`, if any (an index seek on `<table>_external_id_idx`). */
export function idByExternalId(shard: Shard, table: ExternalIdTable, externalId: string): number | undefined {
  const row = shard.statement(`SELECT id FROM ${table} WHERE external_id = ?`).get(externalId) as {
    id: number;
  } | null;
  return row?.id;
}

/**
 * 422 naming `externalId` when another record of the same kind in this workspace already has
 * it (the unique index would refuse it anyway; this says which record holds it). Nothing when
 * `externalId` is absent or null.
 */
export function externalIdIssue(
  shard: Shard,
  table: ExternalIdTable,
  externalId: string | null | undefined,
  exceptId: number | null = null,
): FieldIssue[] {
  if (externalId === undefined || externalId === null) return [];
  const holder = idByExternalId(shard, table, externalId);
  if (holder === undefined || holder === exceptId) return [];
  return [{ field: "externalId", message: `is already the externalId of record ${holder}` }];
}

/** `externalId=` on a list: an exact match (the unique index answers it with one seek). */
export const externalIdParam = z
  .string()
  .min(1, "must not be empty")
  .max(EXTERNAL_ID_MAX, `must be at most ${EXTERNAL_ID_MAX} characters`);

/**
 * Exact-match list filters on one column each (`alias.column = ?`), for the parameters that
 * are set: an integration finds its record by an id or an address it knows, never by a prefix
 * or a full-text match. `columns` are constants from code.
 */
export function exactFilter(
  alias: string,
  columns: Record<string, string>,
  params: Record<string, unknown>,
): { conditions: string[]; params: (string | number)[] } {
  const conditions: string[] = [];
  const values: (string | number)[] = [];
  for (const [name, column] of Object.entries(columns)) {
    const value = params[name];
    if (typeof value !== "string" && typeof value !== "number") continue;
    conditions.push(`${alias}.${column} = ?`);
    values.push(value);
  }
  return { conditions, params: values };
}
