import { z } from "zod";
import { AppError, type FieldIssue, NotFoundError, ValidationError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { parseCustomValues } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { type ExternalIdTable, idByExternalId } from "../records/external-id.ts";
import type { KindPatch, KindRecord, RecordKind } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";
import { fastBatch } from "./batch-fast-path.ts";

/** The most items one batch takes: one transaction of about 10 ms in a worker, holding the file's write lock that long. */
export const MAX_BATCH_ITEMS = 100;

export const BATCH_MODES = ["create", "update", "upsert"] as const;
export type BatchMode = (typeof BATCH_MODES)[number];

/** What a batch item is matched to an existing record by. */
export type MatchOn = "externalId" | "email" | "id";

/** What each kind can be matched on: `email` only on contacts (stored normalised, one index seek). */
export const BATCH_MATCHES: Record<ExternalIdTable, readonly MatchOn[]> = {
  contacts: ["externalId", "email", "id"],
  companies: ["externalId", "id"],
  deals: ["externalId", "id"],
};

/** A batch request: the mode, what to match on, and the items (each checked on its own). */
export function batchRequest(path: ExternalIdTable) {
  return z.object({
    mode: z.enum(BATCH_MODES, "must be create, update or upsert"),
    matchOn: z
      .enum(BATCH_MATCHES[path] as [MatchOn, ...MatchOn[]], `must be ${BATCH_MATCHES[path].join(", ")}`)
      .optional(),
    items: z
      .array(z.unknown(), "must be an array of records")
      .min(1, "must hold at least one record")
      .max(MAX_BATCH_ITEMS, `must hold at most ${MAX_BATCH_ITEMS} records`),
  });
}
export type BatchRequest = z.output<ReturnType<typeof batchRequest>>;

/** One item's outcome: written (201 created, 200 updated or unchanged), refused (its status and why), or not written because another item was refused (424). */
export interface BatchItemResult {
  index: number;
  status: number;
  id?: number;
  action?: "created" | "updated" | "unchanged";
  errors?: FieldIssue[];
}

/** A batch refused as a whole (nothing written): each item's result, the refused ones with their errors. */
export class BatchRefusedError extends ValidationError {
  constructor(readonly results: BatchItemResult[]) {
    super(
      results.flatMap((r) =>
        (r.errors ?? []).map((issue) => ({
          field: `items.${r.index}.${issue.field}`,
          message: issue.message,
        })),
      ),
    );
  }
}

/** The default match: by id for updates, by externalId for upserts; creates match nothing. */
function matchOf(request: BatchRequest): MatchOn | undefined {
  if (request.mode === "create") return undefined;
  return request.matchOn ?? (request.mode === "update" ? "id" : "externalId");
}

const LAST_LOG_ENTRY = "SELECT coalesce(max(id), 0) AS id FROM interactions";

/** The last interaction log entry's id: an update that logged nothing changed nothing. */
function lastLogEntry(shard: Shard): number {
  return (shard.statement(LAST_LOG_ENTRY).get() as { id: number }).id;
}

/** The existing record an item names by `matchOn`, undefined when there is none; refuses an item without the value. */
function matchedId(
  shard: Shard,
  table: ExternalIdTable,
  type: string,
  matchOn: MatchOn,
  item: Record<string, unknown>,
): number | undefined {
  const value = item[matchOn];
  if (matchOn === "id") {
    if (value === undefined) return undefined;
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      throw new ValidationError([{ field: "id", message: "must be a positive whole number" }]);
    const found = shard.statement(`SELECT id FROM ${table} WHERE id = ?`).get(value as number);
    if (!found) throw new NotFoundError(type);
    return value as number;
  }
  if (typeof value !== "string" || value === "")
    throw new ValidationError([{ field: matchOn, message: `is needed to match on ${matchOn}` }]);
  if (matchOn === "externalId") return idByExternalId(shard, table, value);
  const rows = shard
    .statement("SELECT id FROM contacts WHERE email = ? ORDER BY id LIMIT 2")
    .all(value.trim().toLowerCase()) as { id: number }[];
  if (rows.length > 1)
    throw new AppError(409, "Conflict", "several contacts have this email; match on externalId or id");
  return rows[0]?.id;
}

/** An item's refusal as its result. */
function refused(index: number, error: unknown, matchOn: MatchOn | undefined): BatchItemResult {
  if (error instanceof ValidationError) return { index, status: 422, errors: error.issues };
  if (error instanceof NotFoundError)
    return { index, status: 404, errors: [{ field: matchOn ?? "id", message: error.message }] };
  if (error instanceof AppError)
    return { index, status: error.status, errors: [{ field: matchOn ?? "item", message: error.message }] };
  throw error;
}

/**
 * In a batch of creates, the items that repeat an earlier item's externalId, with that item's
 * index: refused by name (the one-by-one path would say the id belongs to a record the
 * rollback never kept).
 */
function repeatedExternalIds(request: BatchRequest): Map<number, number> {
  const repeats = new Map<number, number>();
  if (request.mode !== "create") return repeats;
  const first = new Map<string, number>();
  request.items.forEach((raw, index) => {
    const value = (raw as { externalId?: unknown } | null)?.externalId;
    if (typeof value !== "string" || value === "") return;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, index);
    else repeats.set(index, earlier);
  });
  return repeats;
}

/** Rolls the batch's transaction back once every item has been tried. */
class RollBack {}

/**
 * Creates, updates or upserts up to MAX_BATCH_ITEMS records of one kind in ONE transaction.
 * A batch whose items are all good is written by the fast path (batch-fast-path.ts: checked
 * first, matched in one query, new contacts in bulk, no savepoint per item); any other is
 * written here one item at a time, each through the kind's own create or update service (checked and logged exactly as a single
 * POST or PATCH, in the same transaction). Items run in order, so a later item sees what an
 * earlier one wrote (two upserts of one externalId: created, then updated). Every item is
 * tried even after one is refused (each in its own savepoint), so the answer names every bad
 * item; then, if any was refused, everything is rolled back and a BatchRefusedError carries
 * each item's result. Returns the results and the written records, in item order.
 */
export function writeBatch<R extends KindRecord, C, U extends KindPatch>(
  shard: Shard,
  actor: Actor,
  kind: RecordKind<R, object, C, U>,
  request: BatchRequest,
  now: number,
): { results: BatchItemResult[]; records: R[] } {
  const table = kind.path as ExternalIdTable;
  const matchOn = matchOf(request);
  if (request.mode === "create" && request.matchOn)
    throw new ValidationError([{ field: "matchOn", message: "is only for update and upsert" }]);
  const fields = listFields(shard, kind.type);
  const fast = fastBatch(shard, actor, kind, request, matchOn, fields, now);
  if (fast) return fast;
  const repeats = repeatedExternalIds(request);
  const results: BatchItemResult[] = [];
  const records: R[] = [];
  let failed = false;
  try {
    shard.transaction(() => {
      request.items.forEach((raw, index) => {
        try {
          if (typeof raw !== "object" || raw === null || Array.isArray(raw))
            throw new ValidationError([{ field: "body", message: "must be a JSON object" }]);
          const repeated = repeats.get(index);
          if (repeated !== undefined)
            throw new ValidationError([
              {
                field: "externalId",
                message: `is also the externalId of item ${repeated}: send each record once`,
              },
            ]);
          // The id names the record; it is never one of its fields (strict inputs would refuse it).
          const { id: _id, ...item } = raw as Record<string, unknown>;
          const id = matchOn && matchedId(shard, table, kind.type, matchOn, raw as Record<string, unknown>);
          if (id === undefined && request.mode === "update")
            throw new AppError(404, "Not Found", `no ${kind.type} has this ${matchOn}`);
          const customFields = parseCustomValues(fields, item.customFields);
          if (id === undefined) {
            const input = parseOrThrow(kind.api.createInput, item);
            const record = kind.create(shard, actor, { ...input, customFields });
            results.push({ index, status: 201, id: record.id, action: "created" });
            records.push(record);
            return;
          }
          const patch = parseOrThrow(kind.api.patchInput, item);
          const logged = lastLogEntry(shard);
          const record = kind.update(shard, actor, id, { ...patch, customFields }, now);
          const action = lastLogEntry(shard) === logged ? "unchanged" : "updated";
          results.push({ index, status: 200, id, action });
          records.push(record);
        } catch (error) {
          failed = true;
          results.push(refused(index, error, matchOn));
        }
      });
      if (failed) throw new RollBack();
    });
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
    throw new BatchRefusedError(
      results.map((r) => (r.errors ? r : { index: r.index, status: 424, errors: [] })),
    );
  }
  return { results, records };
}
