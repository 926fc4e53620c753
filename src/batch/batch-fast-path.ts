import { SQLiteError } from "bun:sqlite";
import { createContacts } from "../contacts/create-contacts.ts";
import { AppError } from "../core/errors.ts";
import type { FieldDefinition } from "../custom-fields/field-definitions.ts";
import { type ParsedCustomValues, parseCustomValues } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import type { ExternalIdTable } from "../records/external-id.ts";
import type { KindPatch, KindRecord, RecordKind } from "../records/record-kind.ts";
import { getRecords } from "../records/record-table.ts";
import { NestedWriteFailedError, type Shard } from "../tenancy/shard.ts";
import type { BatchItemResult, BatchRequest, MatchOn } from "./batch-write.ts";

/**
 * The batch's fast path, for the common case of a batch where every item is good: every item
 * is checked first (shape, match, custom values, the kind's input schema) with ONE lookup of
 * the matched records for the whole batch, then written in item order, in one savepoint,
 * without a savepoint per item: a run of consecutive new contacts through the contacts' bulk
 * service (createContacts: the same checks, rows, tags, custom values and log entries as
 * createContact, in multi-row INSERTs), anything else through the kind's own create or update
 * service. Returns undefined, having written nothing, whenever it cannot be sure the answer is
 * the one-by-one path's (the services' own transactions join the fast path's one savepoint
 * rather than each opening one: see Shard.withoutSavepoints): an item refused by any check, an item naming a match value another
 * item also names (they depend on each other's writes), or a write refused by the file's
 * constraints. The caller then runs the one-by-one path (batch-write.ts), which names each bad
 * item.
 */

/** Kinds whose new records can be written in bulk, and how (ids in input order). */
const BULK_CREATE: Partial<
  Record<ExternalIdTable, (shard: Shard, actor: Actor, inputs: object[], now: number) => number[]>
> = {
  contacts: (shard, actor, inputs, now) => createContacts(shard, actor, inputs as never, now).ids,
};

/** Thrown to roll the fast path's savepoint back: something the one-by-one path must answer. */
class NotFast {}

/** A checked item: the record it updates (undefined: it creates one), its parsed input and custom values. */
interface Checked {
  id: number | undefined;
  input: object;
  customFields: ParsedCustomValues;
}

/** The normalised value an item is matched by (emails are stored lower-cased), or undefined when it has none worth looking up. */
function matchValue(matchOn: MatchOn, value: unknown): string | number | undefined {
  if (matchOn === "id")
    return Number.isSafeInteger(value) && (value as number) >= 1 ? (value as number) : undefined;
  if (typeof value !== "string" || value === "") return undefined;
  return matchOn === "email" ? value.trim().toLowerCase() : value;
}

const MATCH_COLUMN: Record<MatchOn, string> = { id: "id", externalId: "external_id", email: "email" };

/**
 * The records the items name, by match value, in one query; undefined when the one-by-one path
 * must answer (a value missing or malformed, named twice, or an email several contacts share).
 */
function lookUpMatches(
  shard: Shard,
  table: ExternalIdTable,
  matchOn: MatchOn,
  items: Record<string, unknown>[],
): { values: (string | number)[]; ids: Map<string | number, number> } | undefined {
  const values: (string | number)[] = [];
  const seen = new Set<string | number>();
  for (const item of items) {
    const value = matchValue(matchOn, item[matchOn]);
    if (value === undefined || seen.has(value)) return undefined;
    seen.add(value);
    values.push(value);
  }
  const column = MATCH_COLUMN[matchOn];
  const rows = shard
    .statement(
      `SELECT id, ${column} AS value FROM ${table} WHERE ${column} IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(values)) as { id: number; value: string | number }[];
  const ids = new Map<string | number, number>();
  for (const row of rows) {
    if (ids.has(row.value)) return undefined;
    ids.set(row.value, row.id);
  }
  return { values, ids };
}

/** Every item checked without writing anything, or undefined when any is not plainly good. */
function checkItems<R extends KindRecord, C, U extends KindPatch>(
  shard: Shard,
  kind: RecordKind<R, object, C, U>,
  request: BatchRequest,
  matchOn: MatchOn | undefined,
  fields: FieldDefinition[],
): Checked[] | undefined {
  const items = request.items as Record<string, unknown>[];
  if (!items.every((raw) => typeof raw === "object" && raw !== null && !Array.isArray(raw))) return undefined;
  const matches = matchOn && lookUpMatches(shard, kind.path as ExternalIdTable, matchOn, items);
  if (matchOn && !matches) return undefined;
  const checked: Checked[] = [];
  for (const [index, raw] of items.entries()) {
    const id = matches ? matches.ids.get(matches.values[index] as string | number) : undefined;
    if (id === undefined && request.mode === "update") return undefined;
    const { id: _id, ...item } = raw;
    let customFields: ParsedCustomValues;
    try {
      customFields = parseCustomValues(fields, item.customFields);
    } catch {
      return undefined;
    }
    const parsed =
      id === undefined ? kind.api.createInput.safeParse(item) : kind.api.patchInput.safeParse(item);
    if (!parsed.success) return undefined;
    checked.push({ id, input: parsed.data as object, customFields });
  }
  return checked;
}

const LAST_LOG_ENTRY = "SELECT coalesce(max(id), 0) AS id FROM interactions";

/** A refusal the one-by-one path can name (a check, or the file's constraints), rather than a fault to pass on. */
function refusal(error: unknown): boolean {
  return (
    error instanceof AppError ||
    (error instanceof SQLiteError && String(error.code ?? "").startsWith("SQLITE_CONSTRAINT"))
  );
}

/** Writes the checked items in item order (see the file's comment); inside the caller's transaction. */
function writeChecked<R extends KindRecord, C, U extends KindPatch>(
  shard: Shard,
  actor: Actor,
  kind: RecordKind<R, object, C, U>,
  checked: Checked[],
  now: number,
): { results: BatchItemResult[]; records: R[] } {
  const results: BatchItemResult[] = [];
  const records: R[] = [];
  const bulk = BULK_CREATE[kind.path as ExternalIdTable];
  let index = 0;
  while (index < checked.length) {
    const item = checked[index] as Checked;
    if (item.id === undefined && bulk) {
      // A run of consecutive creates: one bulk write, checked against the file as it is before the run.
      let end = index;
      while (end < checked.length && checked[end]?.id === undefined) end++;
      const run = checked.slice(index, end);
      const ids = bulk(
        shard,
        actor,
        run.map((c) => ({ ...c.input, customFields: c.customFields })),
        now,
      );
      const made = getRecords(shard, kind.table, ids);
      ids.forEach((id, k) => {
        results.push({ index: index + k, status: 201, id, action: "created" });
        records.push(made[k] as R);
      });
      index = end;
      continue;
    }
    if (item.id === undefined) {
      const record = kind.create(shard, actor, { ...(item.input as C), customFields: item.customFields });
      results.push({ index, status: 201, id: record.id, action: "created" });
      records.push(record);
    } else {
      const logged = (shard.statement(LAST_LOG_ENTRY).get() as { id: number }).id;
      const record = kind.update(
        shard,
        actor,
        item.id,
        { ...(item.input as U), customFields: item.customFields },
        now,
      );
      const changed = (shard.statement(LAST_LOG_ENTRY).get() as { id: number }).id !== logged;
      results.push({ index, status: 200, id: item.id, action: changed ? "updated" : "unchanged" });
      records.push(record);
    }
    index++;
  }
  return { results, records };
}

/**
 * The batch written the fast way (see the file's comment), or undefined with nothing written
 * when the one-by-one path must answer it. Inside the batch's transaction.
 */
export function fastBatch<R extends KindRecord, C, U extends KindPatch>(
  shard: Shard,
  actor: Actor,
  kind: RecordKind<R, object, C, U>,
  request: BatchRequest,
  matchOn: MatchOn | undefined,
  fields: FieldDefinition[],
  now: number,
): { results: BatchItemResult[]; records: R[] } | undefined {
  const checked = checkItems(shard, kind, request, matchOn, fields);
  if (!checked) return undefined;
  try {
    return shard.withoutSavepoints(() => {
      try {
        return writeChecked(shard, actor, kind, checked, now);
      } catch (error) {
        if (refusal(error)) throw new NotFast();
        throw error;
      }
    });
  } catch (error) {
    if (error instanceof NotFast || error instanceof NestedWriteFailedError) return undefined;
    throw error;
  }
}
