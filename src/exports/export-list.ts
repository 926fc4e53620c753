import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { workspaceTimeZone } from "../analytics/workspace-time-zone.ts";
import { BULK_KINDS, type BulkKindName } from "../bulk/bulk-kinds.ts";
import { NotFoundError } from "../core/errors.ts";
import { zonedIsoFormatter } from "../core/zoned-iso.ts";
import { customCsvCell, customCsvHeaders } from "../custom-fields/custom-csv-cell.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { readCustomValues } from "../custom-fields/field-values.ts";
import { parseListParams } from "../lists/list-params.ts";
import { csvRow } from "../privacy/csv.ts";
import type { RecordKind } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";
import { EXPORT_SHAPES } from "./export-columns.ts";

/** Records read per step: one keyset page of the list (its own query, sort and filters). */
const BATCH_ROWS = 1_000;
/** CSV text handed on at a time. */
const CHUNK_CHARS = 256 * 1024;
/** The byte-order mark Excel needs to read a CSV file as UTF-8. */
const BOM = "\uFEFF";

/** The lists that can be exported, by their path. */
export type ExportKindName = BulkKindName;

/** The kind a URL or a command names (`contacts`), or a 404. */
export function exportKind(name: string): RecordKind {
  if (!Object.hasOwn(BULK_KINDS, name)) throw new NotFoundError("list");
  return BULK_KINDS[name as ExportKindName] as unknown as RecordKind;
}

/** Query parameters that shape a page of the list, not which records it holds: an export ignores them. */
const PAGE_ONLY = new Set(["cursor", "limit", "cols", "changed", "bom"]);

/**
 * A list's parameters for an export from its query string (as the list page's URL and the API
 * have them: `q`, `tag`, `ownerId`, `cf`, `sort`, …): the same allow-list as the list, so a bad
 * filter is the same 400. Paging parameters and the column choice are ignored.
 */
export function exportParams(kind: RecordKind, query: Record<string, string>): Record<string, unknown> {
  const filters = Object.fromEntries(Object.entries(query).filter(([name]) => !PAGE_ONLY.has(name)));
  return parseListParams(kind.listParams, filters, true) as Record<string, unknown>;
}

export interface ListExportOptions {
  /** Start with a UTF-8 byte-order mark, for Excel. */
  bom?: boolean;
  /** Told after each batch: rows written so far, and how many match (read first when this is given). */
  onProgress?(rows: number, total: number): void;
  batchRows?: number;
}

/**
 * A list as CSV text, in chunks of ~256 KB: every record its filters match (not one page), in
 * its sort order, read page by page through the kind's own list query (keyset, so each page
 * costs what the first does), with the workspace's custom fields as columns after the
 * built-in ones, and times in the workspace's time zone (export-columns.ts). RFC 4180, CRLF; text that a spreadsheet would run as a formula starts with
 * `'` (privacy/csv.ts). All of it comes from one read snapshot: rows written meanwhile are
 * either all in or all out. Memory stays flat whatever the size.
 */
export function* listCsvChunks(
  shard: Shard,
  kind: RecordKind,
  params: Record<string, unknown>,
  options: ListExportOptions = {},
): Generator<string, number, undefined> {
  const shape = EXPORT_SHAPES[kind.path];
  const batchRows = options.batchRows ?? BATCH_ROWS;
  const ownTransaction = !shard.sqlite.inTransaction;
  if (ownTransaction) shard.sqlite.query("BEGIN").run();
  try {
    const fields = listFields(shard, kind.type);
    const total = options.onProgress ? kind.count(shard, params) : 0;
    const zone = workspaceTimeZone(shard);
    const at = zonedIsoFormatter(zone);
    const headers = shape.headers(zone);
    let text = `${options.bom ? BOM : ""}${csvRow([...headers, ...customCsvHeaders(headers, fields)])}`;
    let rows = 0;
    let cursor: string | undefined;
    do {
      const page = kind.list(shard, { ...params, cursor, limit: batchRows });
      const ids = page.rows.map((r) => r.id);
      const custom = readCustomValues(shard, fields, ids);
      const batch = { people: shape.people(shard, ids), at };
      for (const record of page.rows) {
        const values = custom.get(record.id) ?? {};
        text += csvRow([...shape.row(record, batch), ...fields.map((f) => customCsvCell(values[f.key]))]);
      }
      rows += page.rows.length;
      cursor = page.nextCursor ?? undefined;
      if (text.length >= CHUNK_CHARS || !cursor) {
        yield text;
        text = "";
      }
      options.onProgress?.(rows, total);
    } while (cursor);
    if (text) yield text;
    return rows;
  } finally {
    if (ownTransaction && shard.sqlite.inTransaction) shard.sqlite.query("COMMIT").run();
  }
}

/**
 * Writes a list as CSV to `path` (see listCsvChunks) and returns the rows written. The file is
 * written as `<path>.part`, readable by this process's user only, and renamed when complete,
 * so nobody ever reads half a file; a failure leaves nothing behind. For a worker task, the
 * command line, and any feature that exports a list (a segment, a report).
 */
export function exportList(
  shard: Shard,
  kind: RecordKind,
  params: Record<string, unknown>,
  path: string,
  options: ListExportOptions = {},
): number {
  const part = `${path}.part`;
  const fd = openSync(part, "wx", 0o600);
  try {
    const chunks = listCsvChunks(shard, kind, params, options);
    let step = chunks.next();
    while (!step.done) {
      writeSync(fd, step.value);
      step = chunks.next();
    }
    closeSync(fd);
    renameSync(part, path);
    return step.value;
  } catch (error) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(part, { force: true });
    throw error;
  }
}
